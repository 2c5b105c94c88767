package exchange

import (
	"slices"
	"time"
)

// LinkStatus is what the patient's app shows of a link.
type LinkStatus string

const (
	// Pending: linked, not yet pulled.
	Pending LinkStatus = "pending"
	// Syncing: a pull is running now.
	Syncing LinkStatus = "syncing"
	// UpToDate: the last pull finished.
	UpToDate LinkStatus = "up-to-date"
	// Failing: the last pull failed; it is retried with backoff.
	Failing LinkStatus = "failing"
	// NotMatched: the exchange holds no record, or several, under the patient's NHS
	// number, so nothing is pulled.
	NotMatched LinkStatus = "not-matched"
	// Paused: pulls are stopped (the exchange is suspended).
	Paused LinkStatus = "paused"
)

// Link is a patient's consent that Kith pulls their record from one exchange, with
// where each resource type's pull has got to.
type Link struct {
	ID         string
	PatientID  string
	ExchangeID string
	Status     LinkStatus
	// SourcePatient is the exchange's Patient id, once matched.
	SourcePatient string
	Cursors       []Cursor
	LastAttemptAt time.Time
	LastSuccessAt time.Time
	// LastError is the last failure in plain words ("" after a success), and
	// LastErrorReason its stable slug (see the Reason constants).
	LastError       string
	LastErrorReason string
	// Failures counts failed pulls since the last success, for backoff.
	Failures  int
	NextDueAt time.Time
	// Pulled is how many resources the last finished pull stored or found unchanged.
	Pulled int
	// SyncRequestedAt is when the patient last asked for a pull now.
	SyncRequestedAt time.Time
	// AlertNewResults asks for a push when a pull brings new results.
	AlertNewResults bool
	// LeaseHolder holds the link until LeaseUntil while it pulls; "" when free.
	LeaseHolder string
	LeaseUntil  time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	// Version increases by one on every stored change; stores compare-and-set on it.
	Version int64
}

// Cursor is how far one resource type's pull has got.
type Cursor struct {
	ResourceType string
	// Since: every change at the exchange before it is stored (the exchange's own
	// time when the last finished sweep began). Zero: never swept.
	Since time.Time
	// Next is the next page of the sweep in progress, "" when none is. A pull that
	// stops between pages resumes from it.
	Next string
	// SweepStartedAt is the exchange's time when the sweep in progress began; it
	// becomes Since when the sweep ends.
	SweepStartedAt time.Time
}

// The reasons a pull fails, as stable slugs the app can explain.
const (
	ReasonUnreachable = "exchange-unreachable" // timeouts, refused connections, 5xx
	ReasonRateLimited = "exchange-rate-limited"
	ReasonCircuitOpen = "exchange-circuit-open" // too many failures: Kith waits before trying again
	ReasonRejected    = "exchange-rejected"     // a 4xx, usually with an OperationOutcome
	ReasonAuth        = "exchange-auth-failed"  // the token request was refused
	ReasonMalformed   = "exchange-malformed"    // a page that is not a whole FHIR Bundle
	ReasonIdentity    = "identity-mismatch"     // the exchange's Patient is not the account holder
	ReasonNotMatched  = "not-matched"
	ReasonAmbiguous   = "several-matched"
)

// NewLink is a patient's fresh link to an exchange, due at once.
func NewLink(id, patientID, exchangeID string, alertNewResults bool, now time.Time) Link {
	at := now.UTC().Truncate(time.Millisecond)
	return Link{ID: id, PatientID: patientID, ExchangeID: exchangeID, Status: Pending,
		AlertNewResults: alertNewResults, NextDueAt: at, CreatedAt: at, UpdatedAt: at}
}

// Cursor returns the cursor of a resource type (zero when it was never pulled).
func (l Link) Cursor(resourceType string) Cursor {
	i := slices.IndexFunc(l.Cursors, func(c Cursor) bool { return c.ResourceType == resourceType })
	if i < 0 {
		return Cursor{ResourceType: resourceType}
	}
	return l.Cursors[i]
}

// SetCursor stores c as its type's cursor.
func (l *Link) SetCursor(c Cursor) {
	i := slices.IndexFunc(l.Cursors, func(old Cursor) bool { return old.ResourceType == c.ResourceType })
	if i < 0 {
		l.Cursors = append(l.Cursors, c)
		return
	}
	l.Cursors[i] = c
}

// Held reports whether holder holds the link's lease at now.
func (l Link) Held(holder string, now time.Time) bool {
	return l.LeaseHolder == holder && l.LeaseUntil.After(now)
}

// Schedule is how often links are pulled and how failures back off.
type Schedule struct {
	// Interval between pulls of an up-to-date link; Jitter spreads them (a
	// fraction of Interval either side) so links made together are not pulled together.
	Interval time.Duration
	Jitter   float64
	// FirstRetry is the wait after one failure, doubling per failure up to Interval.
	FirstRetry time.Duration
	// NotMatchedRetry is how long a link without a match waits before trying again.
	NotMatchedRetry time.Duration
	// SyncNowEvery is the least time between two "sync now" requests of one link.
	SyncNowEvery time.Duration
}

// DefaultSchedule pulls every six hours.
var DefaultSchedule = Schedule{Interval: 6 * time.Hour, Jitter: 0.1, FirstRetry: time.Minute,
	NotMatchedRetry: 24 * time.Hour, SyncNowEvery: time.Minute}

// Succeed records a finished pull of pulled resources. spread is a number in
// [0, 1) from the caller's randomness (the domain has none), placing the next pull
// within the jitter.
func (l *Link) Succeed(s Schedule, pulled int, now time.Time, spread float64) {
	at := now.UTC().Truncate(time.Millisecond)
	l.Status, l.LastSuccessAt, l.LastAttemptAt = UpToDate, at, at
	l.LastError, l.LastErrorReason, l.Failures, l.Pulled = "", "", 0, pulled
	l.NextDueAt = at.Add(s.jittered(s.Interval, spread))
}

// Fail records a failed pull. notBefore, when after the backoff, holds the next try
// back further (an exchange's Retry-After, an open circuit).
func (l *Link) Fail(s Schedule, reason, message string, notBefore, now time.Time, spread float64) {
	at := now.UTC().Truncate(time.Millisecond)
	l.LastAttemptAt, l.LastError, l.LastErrorReason = at, message, reason
	l.Failures++
	switch reason {
	case ReasonNotMatched, ReasonAmbiguous:
		l.Status = NotMatched
		l.NextDueAt = at.Add(s.jittered(s.NotMatchedRetry, spread))
		return
	}
	l.Status = Failing
	wait := s.FirstRetry
	for i := 1; i < l.Failures && wait < s.Interval; i++ {
		wait *= 2
	}
	wait = min(wait, s.Interval)
	l.NextDueAt = at.Add(s.jittered(wait, spread))
	if notBefore.After(l.NextDueAt) {
		l.NextDueAt = notBefore.UTC().Truncate(time.Millisecond)
	}
}

// RequestSync makes the link due now, unless the patient asked less than
// SyncNowEvery ago: then it reports when they may ask again.
func (l *Link) RequestSync(s Schedule, now time.Time) (retryAt time.Time, ok bool) {
	at := now.UTC().Truncate(time.Millisecond)
	if !l.SyncRequestedAt.IsZero() && at.Before(l.SyncRequestedAt.Add(s.SyncNowEvery)) {
		return l.SyncRequestedAt.Add(s.SyncNowEvery), false
	}
	l.SyncRequestedAt = at
	if l.NextDueAt.After(at) {
		l.NextDueAt = at
	}
	return time.Time{}, true
}

// jittered is d moved by up to Jitter of itself either side.
func (s Schedule) jittered(d time.Duration, spread float64) time.Duration {
	return d + time.Duration((spread*2-1)*s.Jitter*float64(d))
}
