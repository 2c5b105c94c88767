package app

import (
	"context"
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/exchange"
)

// ExchangeStore keeps the registered exchanges, the patients' links to them, and
// the leases that share pulling between Kith nodes.
type ExchangeStore interface {
	// CreateExchange stores a new exchange. fault.ErrConflict if its id is taken; of
	// concurrent creations with one id exactly one succeeds.
	CreateExchange(ctx context.Context, x exchange.Exchange) error

	// Exchange reads one. fault.ErrNotFound if there is none.
	Exchange(ctx context.Context, id string) (exchange.Exchange, error)

	// Exchanges lists all, ordered by id. There are tens at most.
	Exchanges(ctx context.Context) ([]exchange.Exchange, error)

	// UpdateExchange applies update with compare-and-set on the version, re-reading
	// and re-applying it when another writer got there first, so update must be free
	// of side effects; its error stops everything with nothing written.
	// fault.ErrNotFound if there is no such exchange.
	UpdateExchange(ctx context.Context, id string, update func(*exchange.Exchange) error) (exchange.Exchange, error)

	// CreateLink stores a new link. A patient has at most one link per exchange:
	// when they already have one to l.ExchangeID, nothing is written and that link
	// is returned with created false (so a retried link finds the first). Of
	// concurrent creations for one patient and exchange exactly one is created.
	CreateLink(ctx context.Context, l exchange.Link) (stored exchange.Link, created bool, err error)

	// Link reads one of the patient's links. fault.ErrNotFound if there is none.
	Link(ctx context.Context, patientID, id string) (exchange.Link, error)

	// Links lists the patient's links, oldest first. A patient has a few at most.
	Links(ctx context.Context, patientID string) ([]exchange.Link, error)

	// UpdateLink applies update with compare-and-set on the version (see
	// UpdateExchange). fault.ErrNotFound if the patient has no such link.
	UpdateLink(ctx context.Context, patientID, id string, update func(*exchange.Link) error) (exchange.Link, error)

	// DeleteLink removes one of the patient's links: pulls stop, entries stay.
	// fault.ErrNotFound if the patient has no such link.
	DeleteLink(ctx context.Context, patientID, id string) error

	// ClaimLinks claims up to limit links, most overdue first, that are due
	// (NextDueAt not after now) and not held (no lease, or a lease that ran out
	// before now): each becomes held by claimant until leaseUntil, its version
	// counted up. Each link is held by one claimant at a time. Links of
	// exchanges listed in skip are left alone. This one query spans patients.
	ClaimLinks(ctx context.Context, claimant string, now, leaseUntil time.Time, limit int, skip []string) ([]exchange.Link, error)

	// AcquireLease takes the named lease for holder until until, if it is free
	// (never taken, released, or run out before now) or holder has it already
	// (then it is extended). fault.ErrConflict if another holder has it: of
	// concurrent acquisitions of a free lease exactly one succeeds.
	AcquireLease(ctx context.Context, name, holder string, now, until time.Time) error

	// ReleaseLease frees the named lease if holder has it. Idempotent.
	ReleaseLease(ctx context.Context, name, holder string) error
}

// ExchangeClient speaks FHIR R4 to regional exchanges, authenticated with SMART
// Backend Services. Within one call it retries what is worth retrying (429 with
// its Retry-After, 5xx, timeouts, dropped connections) with exponential backoff
// and jitter, paces its requests under the exchange's rate ceiling, and stops
// trying while the exchange's circuit breaker is open. Failures are *ExchangeFault.
type ExchangeClient interface {
	// Discover reads what the exchange registered by r supports: its
	// CapabilityStatement at /metadata and, when r names no token URL, the token
	// endpoint from .well-known/smart-configuration.
	Discover(ctx context.Context, r exchange.Registration) (Discovery, error)

	// MatchPatient finds the exchange's Patient carrying the NHS number and returns
	// its id. A fault with Reason exchange.ReasonNotMatched when there is none, and
	// exchange.ReasonAmbiguous when there are several.
	MatchPatient(ctx context.Context, x exchange.Exchange, nhsNumber string) (string, error)

	// Search fetches one page: the page at q.Next when it is set, else the first
	// page of q.ResourceType's search for the patient, changed after q.Since when
	// it is not zero.
	Search(ctx context.Context, x exchange.Exchange, q SearchQuery) (Page, error)
}

// Discovery is what an exchange says it supports.
type Discovery struct {
	TokenURL   string
	Types      []exchange.TypeSupport
	Everything bool
}

// SearchQuery asks for one page of one resource type's search.
type SearchQuery struct {
	ResourceType string
	// PatientParam and Patient name the patient ("patient" = the exchange's id).
	PatientParam string
	Patient      string
	Since        time.Time
	Count        int
	// Next is a Bundle.link[next] URL from the previous page.
	Next string
	// History asks for the type's history since Since ({Type}/_history with
	// _since) instead of a search: its deletions are what a pull wants of it.
	History bool
}

// Page is one page of a search, checked whole: a page cut short or not a Bundle
// is a fault, never a partial page.
type Page struct {
	// Bundle holds what to store: a Bundle whose entries are the page's resources,
	// without its OperationOutcome warnings (search.mode outcome) or deletions.
	Bundle []byte
	// Resources counts the entries of Bundle.
	Resources int
	// Deleted lists what the page says the exchange deleted ("Type/id"), from
	// history entries whose request.method is DELETE.
	Deleted []string
	// Next is the Bundle.link[next] URL, "" on the last page.
	Next string
	// ServerTime is the exchange's time when it answered (Bundle.meta.lastUpdated,
	// or its Date header), which bounds what the page can have seen.
	ServerTime time.Time
}

// ExchangeFault is an exchange's failure, in words a patient can read.
type ExchangeFault struct {
	// Reason is one of the exchange.Reason slugs.
	Reason string
	// Message is the plain-words explanation (an OperationOutcome's text when the
	// exchange gave one), safe to show the patient: no tokens, no NHS numbers.
	Message string
	// RetryAt, when set, is the earliest time worth trying again (a Retry-After,
	// the circuit breaker's next half-open).
	RetryAt time.Time
	// Status is the HTTP status that ended the call, 0 when there was none.
	Status int
	Err    error
}

func (f *ExchangeFault) Error() string {
	msg := fmt.Sprintf("exchange: %s: %s", f.Reason, f.Message)
	if f.Err != nil {
		msg += ": " + f.Err.Error()
	}
	return msg
}

func (f *ExchangeFault) Unwrap() error { return f.Err }
