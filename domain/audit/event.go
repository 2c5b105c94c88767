// Package audit models access events: the record of every disclosure and every change
// of who may see what, chained per patient so that a removed or altered event shows.
package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// ActorKind says who caused an event.
type ActorKind string

const (
	ActorPatient      ActorKind = "patient"
	ActorGuardian     ActorKind = "guardian"
	ActorOrganisation ActorKind = "organisation"
	ActorViewer       ActorKind = "share-code-viewer"
	ActorOperator     ActorKind = "operator"
	ActorSystem       ActorKind = "system"
)

// Actor is who did it, and for which organisation and practitioner when one acted.
// The organisation's name is kept as it was at the time, so the patient reads the
// name they would have recognised then.
type Actor struct {
	Kind             ActorKind
	ID               string
	Organisation     string
	OrganisationName string
	PractitionerID   string
	PractitionerName string
	PractitionerRole string
}

// Outcomes of a request.
const (
	OutcomeAllowed = "allowed"
	OutcomeDenied  = "denied"
	OutcomeDone    = "done"
)

// AlertState says whether the patient is to be told of an event. It changes after
// the event is sealed (a dispatcher sends the alert), so it is not in the hash.
type AlertState string

const (
	AlertNone    AlertState = ""
	AlertPending AlertState = "pending"
	// AlertClaimed: a dispatcher holds it until AlertLease; after that another may.
	AlertClaimed AlertState = "claimed"
	AlertSent    AlertState = "sent"
	// AlertCoalesced: folded into an alert already sent for the same viewer.
	AlertCoalesced AlertState = "coalesced"
	// AlertParked: it kept failing; an operator must look (kith admin parked-alerts).
	AlertParked AlertState = "parked"
	// AlertNoDevice: the patient had no device to tell.
	AlertNoDevice AlertState = "no-device"
)

// Report is the patient saying "I don't recognise this". Like AlertState it is
// added after sealing and not hashed.
type Report struct {
	At   time.Time
	Note string
}

// Event is one access event. Seq, PrevHash and Hash are set by Seal. Events are
// minimal, as in IHE Basic Audit Log Patterns: ids, categories and the query,
// never the data disclosed.
type Event struct {
	ID         string
	PatientID  string
	Seq        int64
	At         time.Time
	Actor      Actor
	Action     string
	Basis      string
	Categories []string
	Route      string
	// Query is the request's filter (category=results&limit=50), EntryID the one
	// entry read, GrantIDs the grants, break-glass or share code relied on.
	Query    string
	EntryID  string
	GrantIDs []string
	// Reason is the stated reason (break-glass) or why a request was denied.
	Reason string
	// Label is the share code's label ("For the A&E registrar"), for share-code reads.
	Label    string
	Outcome  string
	PrevHash string
	Hash     string

	Alert  AlertState
	Report Report
	// AlertAttempts counts dispatch attempts; AlertLease is when a claim lapses.
	AlertAttempts int
	AlertLease    time.Time
	// AlertNotBefore holds a pending alert back (quiet hours, a daily digest).
	AlertNotBefore time.Time
}

// Validate checks what every event must say before it is sealed.
func (e Event) Validate() error {
	switch {
	case e.ID == "":
		return fault.Invalid("id", "required")
	case e.PatientID == "":
		return fault.Invalid("patientId", "required")
	case e.Actor.Kind == "":
		return fault.Invalid("actor.kind", "required")
	case e.Action == "":
		return fault.Invalid("action", "required")
	case e.At.IsZero():
		return fault.Invalid("at", "required")
	}
	return nil
}

// Seal places e after prev in its patient's chain (prev is nil for the first event)
// and computes its hash. The time is cut to UTC milliseconds first, the precision
// stores keep, so the hash still matches once the event is read back.
func (e Event) Seal(prev *Event) Event {
	e.At = e.At.UTC().Truncate(time.Millisecond)
	e.Seq, e.PrevHash = 1, ""
	if prev != nil {
		e.Seq, e.PrevHash = prev.Seq+1, prev.Hash
	}
	e.Hash = e.digest()
	return e
}

// digest hashes every field with a length prefix, so no two different events can
// encode to the same bytes.
func (e Event) digest() string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(e.ID)
	field(e.PatientID)
	field(strconv.FormatInt(e.Seq, 10))
	field(strconv.FormatInt(e.At.UnixMilli(), 10))
	field(string(e.Actor.Kind))
	field(e.Actor.ID)
	field(e.Actor.Organisation)
	field(e.Actor.OrganisationName)
	field(e.Actor.PractitionerID)
	field(e.Actor.PractitionerName)
	field(e.Actor.PractitionerRole)
	field(e.Action)
	field(e.Basis)
	field(strconv.Itoa(len(e.Categories)))
	for _, c := range e.Categories {
		field(c)
	}
	field(e.Route)
	field(e.Query)
	field(e.EntryID)
	field(strconv.Itoa(len(e.GrantIDs)))
	for _, g := range e.GrantIDs {
		field(g)
	}
	field(e.Reason)
	field(e.Label)
	field(e.Outcome)
	field(e.PrevHash)
	return hex.EncodeToString(h.Sum(nil))
}

// Break is where a chain stops holding.
type Break struct {
	Seq     int64
	EventID string
	Problem string
}

// ChainWalk checks one patient's chain newest first, an event at a time, so a chain
// of any length verifies in constant memory from a store that pages newest first.
// Feed every event to Older, then call End.
type ChainWalk struct {
	newer  *Event
	breaks *Break
}

func (w *ChainWalk) broke(seq int64, id, problem string) {
	// Walking backwards, the lowest place found last is the first break.
	if w.breaks == nil || seq <= w.breaks.Seq {
		w.breaks = &Break{Seq: seq, EventID: id, Problem: problem}
	}
}

// Older takes the next older event.
func (w *ChainWalk) Older(e Event) {
	if e.Hash != e.digest() {
		w.broke(e.Seq, e.ID, "its hash does not match its contents")
	}
	if n := w.newer; n != nil && (n.Seq != e.Seq+1 || n.PrevHash != e.Hash) {
		w.broke(n.Seq, n.ID, "it does not follow from the event before it")
	}
	w.newer = &e
}

// End finishes the walk and returns the first break, or nil when the chain holds.
func (w *ChainWalk) End() *Break {
	if n := w.newer; n != nil && (n.Seq != 1 || n.PrevHash != "") {
		w.broke(n.Seq, n.ID, "the chain does not start at its first event")
	}
	return w.breaks
}

// VerifyChain checks one patient's events in Seq order and returns the index of the
// first event that does not follow from the one before, or -1 when the chain holds.
func VerifyChain(events []Event) int {
	var prev *Event
	for i := range events {
		e := events[i]
		want := e.Seal(prev)
		if e.Seq != want.Seq || e.PrevHash != want.PrevHash || e.Hash != want.Hash {
			return i
		}
		prev = &events[i]
	}
	return -1
}
