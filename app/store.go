// Package app holds Kith's use cases and the ports they need from the outside world.
// Adapters implement the ports; the composition root in app/cmd/kith wires them.
package app

import (
	"context"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/keyring"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

// Store keeps Kith's state. Every method is safe for concurrent use by several
// processes sharing one database. No method needs a multi-document transaction: each
// change is one conditional write. Errors are the kinds in domain/fault; a store that
// cannot be reached answers fault.ErrUnavailable.
type Store interface {
	PatientStore
	AccessEventStore
	OrganisationStore
	AssertionStore
	KeyringStore
	RecordStore
	GrantStore
	ShareCodeStore
	AttemptStore
	AlertStore
	ExchangeStore
	GuardianshipStore
	SummaryDocStore

	// Ping reports whether the store can serve requests now (fault.ErrUnavailable if not).
	Ping(ctx context.Context) error
	// Close releases connections. The store is unusable afterwards.
	Close(ctx context.Context) error
}

// PatientStore keeps citizen accounts.
type PatientStore interface {
	// CreatePatient stores a new account. fault.ErrConflict if the id is taken; of
	// many concurrent creations with one id exactly one succeeds. Ids derive from the
	// identity provider's (issuer, subject) (patient.IDFor), so this is also "one
	// account per person". Not idempotent by itself: see App.Me.
	CreatePatient(ctx context.Context, p patient.Patient) error

	// Patient reads one account by id. fault.ErrNotFound if there is none.
	Patient(ctx context.Context, id string) (patient.Patient, error)

	// UpdatePatient applies update to the stored account and writes the result if the
	// account has not changed meanwhile, reading again and re-applying update when it
	// has, so update must be free of side effects. Version increases by one.
	// If update returns an error nothing is written and that error is returned.
	// fault.ErrNotFound if there is no such account.
	UpdatePatient(ctx context.Context, id string, update func(*patient.Patient) error) (patient.Patient, error)

	// PatientsByNHSNumber lists the accounts carrying an NHS number, oldest first
	// (there is normally one; an identity provider change can leave two). Empty, not
	// an error, when there are none.
	PatientsByNHSNumber(ctx context.Context, nhs patient.NHSNumber) ([]patient.Patient, error)

	// PatientIDs lists account ids in order, at most limit of them, starting after
	// the given id ("" from the start), for jobs that walk every account.
	PatientIDs(ctx context.Context, after string, limit int) ([]string, error)
}

// AccessEventStore keeps the per-patient chain of access events.
type AccessEventStore interface {
	// AppendAccessEvent seals e after the patient's newest event and stores it, as one
	// step: no two events are ever sealed after the same one, and the event returned
	// is durable. fault.ErrConflict if the id is taken.
	AppendAccessEvent(ctx context.Context, e audit.Event) (audit.Event, error)

	// LastAccessEvent returns the patient's event with the highest Seq.
	// fault.ErrNotFound if the patient has none.
	LastAccessEvent(ctx context.Context, patientID string) (audit.Event, error)

	// AccessEvents lists the patient's events newest first, at most limit of them,
	// starting below Seq before (0 means from the newest). It returns the Seq to pass
	// as before for the next page, or 0 when there are no more. fault.ErrInvalid if
	// limit is below 1.
	AccessEvents(ctx context.Context, patientID string, before int64, limit int) ([]audit.Event, int64, error)

	// AccessEvent reads one of the patient's events. fault.ErrNotFound if the patient
	// has no such event.
	AccessEvent(ctx context.Context, patientID, id string) (audit.Event, error)

	// ReportAccessEvent records that the patient does not recognise the event.
	// Idempotent: reporting again keeps the first report and returns the event.
	// fault.ErrNotFound if the patient has no such event.
	ReportAccessEvent(ctx context.Context, patientID, id string, r audit.Report) (audit.Event, error)

	// ReportedAccessEvents lists reported events of every patient, most recently
	// reported first, at most limit; organisation (an ODS code) narrows them to that
	// organisation's events, "" lists all. It is the one query across patients:
	// reports are rare and someone has to look at each.
	ReportedAccessEvents(ctx context.Context, organisation string, limit int) ([]audit.Event, error)
}

// GrantStore keeps the grants and break-glass accesses patients' records are read
// under. Every method is scoped by the owning patient.
type GrantStore interface {
	// CreateGrant stores a new grant. When g carries an IdempotencyKey the patient
	// has used before, nothing is written and the grant stored under that key is
	// returned with created false: a retried create finds the first. Of concurrent
	// creates with one key exactly one is created. fault.ErrConflict if the id is taken.
	CreateGrant(ctx context.Context, g access.Grant) (stored access.Grant, created bool, err error)

	// Grant reads one. fault.ErrNotFound if the patient has no such grant.
	Grant(ctx context.Context, patientID, id string) (access.Grant, error)

	// Grants lists every grant of the patient, in force or not, newest first. A
	// patient has tens at most. Read on every disclosure to an organisation: no
	// cache sits between a revocation and the next read.
	Grants(ctx context.Context, patientID string) ([]access.Grant, error)

	// UpdateGrant applies update with compare-and-set on the version, re-reading and
	// re-applying it when another writer got there first, so update must be free of
	// side effects; its error stops everything with nothing written. Once it returns,
	// every later Grants call sees the change. fault.ErrNotFound if there is none.
	UpdateGrant(ctx context.Context, patientID, id string, update func(*access.Grant) error) (access.Grant, error)
}

// OrganisationStore keeps the registered organisations, keyed by ODS code.
type OrganisationStore interface {
	// CreateOrganisation stores a new organisation. fault.ErrConflict if its ODS code
	// is taken; of concurrent creations for one code exactly one succeeds.
	CreateOrganisation(ctx context.Context, o organisation.Organisation) error

	// Organisation reads one. fault.ErrNotFound if there is none.
	Organisation(ctx context.Context, odsCode string) (organisation.Organisation, error)

	// Organisations lists all, ordered by ODS code. There are thousands at most.
	Organisations(ctx context.Context) ([]organisation.Organisation, error)

	// UpdateOrganisation applies update with compare-and-set on the version, re-reading
	// and re-applying it when another writer got there first, so update must be free of
	// side effects; its error stops everything with nothing written.
	// fault.ErrNotFound if there is no such organisation.
	UpdateOrganisation(ctx context.Context, odsCode string, update func(*organisation.Organisation) error) (organisation.Organisation, error)
}

// AssertionStore remembers the client assertions organisations have used, so none is
// accepted twice.
type AssertionStore interface {
	// UseAssertion records that the client used the assertion with this jti, which
	// expires at expiresAt. fault.ErrConflict if it was recorded before (a replay); of
	// concurrent uses exactly one succeeds.
	UseAssertion(ctx context.Context, clientID, jti string, expiresAt time.Time) error

	// PurgeAssertions forgets assertions that expired before the given time (they can
	// no longer be replayed: their exp check fails) and says how many it removed.
	PurgeAssertions(ctx context.Context, expiredBefore time.Time) (int64, error)
}

// KeyringStore keeps Kith's own signing keys, one keyring for the deployment.
type KeyringStore interface {
	// Keyring reads the keyring. fault.ErrNotFound before the first key is made.
	Keyring(ctx context.Context) (keyring.Keyring, error)

	// SaveKeyring writes k if the stored keyring is still at version k.Version (0: none
	// stored yet), storing it as version k.Version+1 and returning that. fault.ErrConflict
	// if another node saved first: of two nodes rotating at once exactly one wins.
	SaveKeyring(ctx context.Context, k keyring.Keyring) (keyring.Keyring, error)
}

// RecordStore keeps each patient's entries and their change feed; the summary is
// read from the entries (RecordTally, EntryHeads), never stored apart.
// Every method is scoped by the owning patient: another patient's entry id answers
// fault.ErrNotFound. Readers that return resource JSON say ForDisclosure in their
// name, so every path that can disclose clinical data is easy to find.
type RecordStore interface {
	// PutEntry writes e if the stored entry with e.ID is still at revision expect (0:
	// none stored), as revision expect+1, with e.ChangeSeq set to the patient's next
	// change number, and returns what it stored. fault.ErrConflict if another writer
	// changed the entry first: read it again and re-merge.
	PutEntry(ctx context.Context, e record.Entry, expect int64) (record.Entry, error)

	// PutEntries writes several entries, each as PutEntry would (its own
	// compare-and-set, its own change number), in order. It returns how many it
	// wrote, the first n, and the error that stopped it (fault.ErrConflict for a
	// lost compare-and-set). A store may write them all in one transaction: then
	// a failure writes none and n is 0. Cheaper than one PutEntry each.
	PutEntries(ctx context.Context, puts []EntryPut) (int, error)

	// EntryStates reads several of the patient's entries as EntryState does, by
	// id; ids with no entry are absent from the map.
	EntryStates(ctx context.Context, patientID string, ids []string) (map[string]record.Entry, error)

	// EntryForDisclosure reads one entry with its resource. fault.ErrNotFound if the
	// patient has no such entry (tombstones included: they are not entries).
	EntryForDisclosure(ctx context.Context, patientID, id string) (record.Entry, error)

	// EntryState reads one entry for an ingest to merge into: tombstones included,
	// and with its resource, which a merge that only adds a provenance writes back
	// unchanged. It is not a disclosure path. fault.ErrNotFound if there is none.
	EntryState(ctx context.Context, patientID, id string) (record.Entry, error)

	// EntryHeads lists live entries without their resources, newest first by
	// Display.Date then ID, filtered by q, at most q.Limit, and the cursor for the next
	// page ("" when there is none). fault.ErrInvalid for a malformed cursor.
	EntryHeads(ctx context.Context, patientID string, q EntryQuery) ([]record.Entry, string, error)

	// EachEntryForDisclosure calls fn for every live entry with its resource, in ID
	// order, reading in batches so memory stays flat for any record size. fn's error
	// stops it and is returned.
	EachEntryForDisclosure(ctx context.Context, patientID string, fn func(record.Entry) error) error

	// ChangesForDisclosure lists entries (tombstones included, with resources for the
	// live ones) whose ChangeSeq is above after, in ChangeSeq order, at most limit,
	// stopping before any ChangeSeq still being written by another request (a gap
	// younger than a few seconds) so a client never skips one. It also returns the
	// patient's record epoch, which changes when the record is erased.
	ChangesForDisclosure(ctx context.Context, patientID string, after int64, limit int) ([]record.Entry, int64, error)

	// RecordTally counts the patient's live entries by category, summary section
	// (Clinical.Section), currency (Clinical.Current) and sensitivity, and says when
	// each source (an entry's first provenance) last changed an entry, without
	// reading a resource. A patient with no record gets an empty tally. It is the
	// summary's counts, computed from the entries on every read, so no interrupted
	// write can leave them wrong.
	RecordTally(ctx context.Context, patientID string) (record.Tally, error)

	// EraseRecord deletes every entry and summary doc of the patient and moves the
	// record epoch on, so devices syncing from before the erasure start again.
	// Idempotent.
	EraseRecord(ctx context.Context, patientID string) error

	// RecordMark says how far the patient's record has been written. A patient
	// with no record has the zero mark, settled.
	RecordMark(ctx context.Context, patientID string) (RecordMark, error)
}

// RecordMark is how far a record has been written: LastSeq is the last change
// number handed out (every entry write takes one), and Epoch moves on when the
// record is erased. While the mark stays the same the entries stay the same, once
// it is Settled: no write is still storing an entry under a number handed out.
type RecordMark struct {
	Epoch, LastSeq int64
	Settled        bool
}

// SummaryDocStore keeps encoded summaries, one per patient and slot (a reader's
// scope), each with the version of the record it was made from. They are only a
// shortcut: a reader uses a doc only when its version is the record's mark now,
// so a doc left behind by a write or a crash is never answered.
type SummaryDocStore interface {
	// SummaryDoc is the slot's doc; the zero SummaryDoc when there is none.
	SummaryDoc(ctx context.Context, patientID, slot string) (SummaryDoc, error)
	// KeepSummaryDoc puts d in its slot in place of any before, only while the
	// record's epoch is d.Epoch: a keep that meets an erasure does not outlive it.
	// EraseRecord deletes the patient's docs with the entries.
	KeepSummaryDoc(ctx context.Context, patientID string, d SummaryDoc) error
}

// SummaryDoc is a summary encoded for one slot at one version of the record.
type SummaryDoc struct {
	Slot, Version string
	Epoch         int64
	Doc           []byte
}

// ShareCodeStore keeps share codes (as keyed hashes) and the viewer sessions they open.
type ShareCodeStore interface {
	// CreateShareCode stores a new code. fault.ErrConflict if its id or hash is taken.
	CreateShareCode(ctx context.Context, c sharecode.ShareCode) error

	// ShareCode reads one of the patient's codes. fault.ErrNotFound if there is none.
	ShareCode(ctx context.Context, patientID, id string) (sharecode.ShareCode, error)

	// ShareCodes lists the patient's codes, newest first. Patients have tens at most.
	ShareCodes(ctx context.Context, patientID string) ([]sharecode.ShareCode, error)

	// ShareCodeByHash finds a code by its keyed hash, whoever's it is: redemption
	// starts from the code alone. fault.ErrNotFound if none has that hash.
	ShareCodeByHash(ctx context.Context, hash string) (sharecode.ShareCode, error)

	// UseShareCode counts one view of the code with this hash, in one conditional
	// write, if at now it is neither revoked nor expired nor used up, and returns it
	// as stored. fault.ErrNotFound otherwise (no such code included): the caller
	// cannot tell why. Of many concurrent uses of a code's last view exactly one
	// succeeds.
	UseShareCode(ctx context.Context, hash string, now time.Time) (sharecode.ShareCode, error)

	// UpdateShareCode applies update with compare-and-set on the version (see
	// UpdateGrant). fault.ErrNotFound if the patient has no such code.
	UpdateShareCode(ctx context.Context, patientID, id string, update func(*sharecode.ShareCode) error) (sharecode.ShareCode, error)

	// CreateViewerSession stores a new session. fault.ErrConflict if its id or
	// token hash is taken.
	CreateViewerSession(ctx context.Context, s sharecode.Session) error

	// ViewerSession reads a session by its token hash. fault.ErrNotFound if none.
	ViewerSession(ctx context.Context, tokenHash string) (sharecode.Session, error)

	// EndViewerSession marks the session ended at now (the viewer finished).
	// Idempotent; fault.ErrNotFound if there is no such session.
	EndViewerSession(ctx context.Context, tokenHash string, now time.Time) error
}

// AttemptStore counts attempts (share code redemptions) per key in fixed windows,
// so every node enforces one limit.
type AttemptStore interface {
	// CountAttempt adds one attempt for key in the window starting at window and
	// returns how many the window now holds. Windows older than keepUntil may be
	// forgotten.
	CountAttempt(ctx context.Context, key string, window time.Time, keepUntil time.Time) (int, error)
}

// AlertStore keeps what push alerts need: the patients' devices, the alert state of
// access events, and the windows in which one viewer's accesses coalesce.
type AlertStore interface {
	// ClaimAlerts claims up to limit events, oldest first, whose alert is pending
	// (and not held back past now by AlertNotBefore), or claimed by a dispatcher
	// whose lease ran out before now: each becomes
	// claimed by claimant until leaseUntil, its attempts counted up by one. Each
	// event is claimed by one dispatcher at a time. This one query spans patients.
	ClaimAlerts(ctx context.Context, claimant string, now, leaseUntil time.Time, limit int) ([]audit.Event, error)

	// FinishAlert sets the alert state of a claimed event, if claimant still holds
	// it; fault.ErrConflict if not (its lease ran out and another took it).
	FinishAlert(ctx context.Context, patientID, eventID, claimant string, state audit.AlertState) error

	// DeferAlert returns a claimed event to pending, held back until notBefore (the
	// end of quiet hours, the next digest), if claimant still holds it;
	// fault.ErrConflict if not.
	DeferAlert(ctx context.Context, patientID, eventID, claimant string, notBefore time.Time) error

	// ParkedAlerts lists events whose alert was parked, newest first, for operators.
	ParkedAlerts(ctx context.Context, limit int) ([]audit.Event, error)

	// AlertWindowOpen reports whether an alert about key (a viewer of the patient's
	// record) was sent in a window that lasts beyond now.
	AlertWindowOpen(ctx context.Context, patientID, key string, now time.Time) (bool, error)

	// OpenAlertWindow records that an alert about key was sent, so its window lasts
	// until until. Idempotent.
	OpenAlertWindow(ctx context.Context, patientID, key string, until time.Time) error

	// PutDevice stores a device, or refreshes the one with its id (same patient and
	// token): app version, locale and RefreshedAt change, CreatedAt stays. It reports
	// whether the device is new.
	PutDevice(ctx context.Context, d alert.Device) (alert.Device, bool, error)

	// Devices lists the patient's devices, oldest first.
	Devices(ctx context.Context, patientID string) ([]alert.Device, error)

	// DeleteDevice removes one. fault.ErrNotFound if the patient has no such device.
	DeleteDevice(ctx context.Context, patientID, id string) error

	// DeleteStaleDevices removes devices not refreshed since before, and says how many.
	DeleteStaleDevices(ctx context.Context, before time.Time) (int64, error)
}

// EntryPut is one write of PutEntries: the entry, and the revision the stored one
// must still be at (0: none stored).
type EntryPut struct {
	Entry  record.Entry
	Expect int64
}

// EntryState filters entries by Clinical.Current.
type EntryState string

const (
	StateCurrent EntryState = "current"
	StatePast    EntryState = "past"
)

// EntryQuery filters EntryHeads. Zero values do not filter.
type EntryQuery struct {
	Category record.Category
	// Section keeps the entries of one summary section (Clinical.Section).
	Section record.Section
	// State keeps current or past entries (Clinical.Current); "" keeps both.
	State        EntryState
	ResourceType string
	Since, Until time.Time // on Display.Date: Since inclusive, Until exclusive
	Cursor       string
	Limit        int
	// Within, when not nil, keeps only what an access decision's scope covers: its
	// categories, and sensitive entries only where the scope includes them.
	Within access.Scope
}
