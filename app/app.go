package app

import (
	"errors"
	"time"

	"github.com/google/uuid"
)

// Clock tells the time; tests pass a fixed one.
type Clock func() time.Time

// App is the set of Kith's use cases, one per file in this package.
type App struct {
	store      Store
	now        Clock
	newID      func() string
	assertions AssertionVerifier
	signer     TokenSigner
}

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
	a := &App{store: store, now: clock, newID: NewID}
	for _, o := range opts {
		o(a)
	}
	return a, nil
}

// NewID returns a UUIDv7: unique across nodes and ordered by time, so ids make
// stable cursors.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
