package app

import (
	"errors"
	"time"

	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/semaphore"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/record"
)

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time

// App is the set of Kith's use cases, one per file in this package.
type App struct {
	store       Store
	now         Clock
	newID       func() string
	assertions  AssertionVerifier
	signer      TokenSigner
	sensitivity record.SensitivityRules
	limits      Limits
	publicURL   string
	// requireBirthDate makes organisations give a patient's date of birth with the
	// NHS number they look the patient up by.
	requireBirthDate bool
	shares           ShareCodeSettings
	pusher           Pusher
	alerts           AlertSettings
	exchanges        ExchangeClient
	pulls            ExchangeSettings
	proxy            guardianship.Policy
	// syncWake nudges this node's scheduler when a link becomes due now.
	syncWake chan struct{}
	// summaries keeps recently read records' summary inputs (see summaryCache).
	summaries summaryCache
	// docs keeps recently answered summary docs by Version, before the store's.
	docs *lru.Cache[string, []byte]
	// made keeps recently made summaries by Version, for readers that take the
	// summary itself rather than its doc (a clinician's screen, the IPS).
	made *weighedCache[record.Summary]
	// wholeReads admits the reads of a whole record's summary inputs (see
	// readSummaryInputs), a few at a time.
	wholeReads *semaphore.Weighted
}

// Limits bound what one request may make Kith do.
type Limits struct {
	// MaxResourceBytes is the largest single FHIR resource accepted.
	MaxResourceBytes int
}

// DefaultLimits are generous for real records (a discharge letter with an embedded
// PDF is a few hundred kilobytes) and small enough to keep one request cheap.
var DefaultLimits = Limits{MaxResourceBytes: 1 << 20}

// WithLimits replaces DefaultLimits.
func WithLimits(l Limits) Option { return func(a *App) { a.limits = l } }

// WithSensitivity replaces record.DefaultSensitivity.
func WithSensitivity(r record.SensitivityRules) Option { return func(a *App) { a.sensitivity = r } }

// WithPublicURL is Kith's public URL, the base of the fullUrls in exports.
func WithPublicURL(u string) Option { return func(a *App) { a.publicURL = u } }

// WithBirthDateCheck makes organisations name a patient by NHS number and date of
// birth, not the NHS number alone.
func WithBirthDateCheck(on bool) Option { return func(a *App) { a.requireBirthDate = on } }

// Option adds an optional port.
type Option func(*App)

// WithOrganisationTokens enables the SMART Backend Services token endpoint.
func WithOrganisationTokens(v AssertionVerifier, s TokenSigner) Option {
	return func(a *App) { a.assertions, a.signer = v, s }
}

// New wires the use cases to their ports, failing when one is missing so a
// mis-wired binary stops at start-up rather than at its first request.
func New(store Store, clock Clock, opts ...Option) (*App, error) {
	if store == nil {
		return nil, errors.New("app: no store")
	}
	if clock == nil {
		return nil, errors.New("app: no clock")
	}
	a := &App{store: store, now: clock, newID: NewID, sensitivity: record.DefaultSensitivity(),
		limits: DefaultLimits, publicURL: "urn:kith", alerts: DefaultAlertSettings,
		pulls: DefaultExchangeSettings, proxy: guardianship.DefaultPolicy, syncWake: make(chan struct{}, 1),
		summaries: newSummaryCache(), docs: newSummaryDocs(), made: newMadeSummaries(), wholeReads: semaphore.NewWeighted(concurrentWholeReads)}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// NewID returns a UUIDv7: unique across nodes and ordered by time, so ids make
// stable cursors.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

func isNotFound(err error) bool { return errors.Is(err, fault.ErrNotFound) }
