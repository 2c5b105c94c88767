package fhirclient

import (
	"errors"
	"sync"
	"time"

	"github.com/sony/gobreaker/v2"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// breakers keep one circuit breaker per exchange, so an exchange that is down is
// left alone for a while instead of being asked again by every due link.
type breakers struct {
	failures uint32
	openFor  time.Duration
	now      func() time.Time

	mu sync.Mutex
	m  map[string]*breaker
}

type breaker struct {
	cb *gobreaker.CircuitBreaker[struct{}]
	// openedAt is when the breaker last opened, on the injected clock: gobreaker
	// times its open state on the wall clock and does not say when it ends, and
	// RetryAt must be on the clock the rest of Kith reads.
	mu       sync.Mutex
	openedAt time.Time
}

func newBreakers(failures int, openFor time.Duration, now func() time.Time) *breakers {
	return &breakers{failures: uint32(failures), openFor: openFor, now: now, m: map[string]*breaker{}}
}

func (bs *breakers) of(id string) *breaker {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if b, ok := bs.m[id]; ok && !b.waitedOut(bs.now(), bs.openFor) {
		return b
	}
	b := &breaker{}
	b.cb = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:        id,
		MaxRequests: 1, // one call probes a half-open exchange
		Timeout:     bs.openFor,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= bs.failures },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			if to == gobreaker.StateOpen {
				b.mu.Lock()
				b.openedAt = bs.now()
				b.mu.Unlock()
			}
		},
		IsExcluded:   excludedFromBreaker,
		IsSuccessful: func(err error) bool { return !exchangeDown(err) },
	})
	bs.m[id] = b
	return b
}

// waitedOut says the breaker has been open for openFor on the injected clock.
// gobreaker would only half-open it on the wall clock, so then the breaker is
// replaced by a fresh one: the open wait is the one the rest of Kith (and a test)
// sees, and the fresh breaker trips again after as many failures.
func (b *breaker) waitedOut(now time.Time, openFor time.Duration) bool {
	if b.cb.State() != gobreaker.StateOpen {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return !b.openedAt.IsZero() && !now.Before(b.openedAt.Add(openFor))
}

// exchangeDown is a failure that says the exchange is not working: no answer, or
// pages it cannot finish. A refusal, a missing match or bad credentials come
// from an exchange that works, so they count as successes.
func exchangeDown(err error) bool {
	var f *app.ExchangeFault
	if !errors.As(err, &f) {
		return false
	}
	return f.Reason == exchange.ReasonUnreachable || f.Reason == exchange.ReasonMalformed
}

// excludedFromBreaker is what says nothing of the exchange's health: the caller
// giving up (not a fault), or the exchange asking Kith to slow down.
func excludedFromBreaker(err error) bool {
	if err == nil {
		return false
	}
	var f *app.ExchangeFault
	if !errors.As(err, &f) {
		return true
	}
	return f.Reason == exchange.ReasonRateLimited
}

// guarded runs one call, retries and all, through x's breaker. While the breaker
// is open it fails at once, without touching the exchange.
func guarded[T any](c *Client, x exchange.Exchange, call func() (T, error)) (T, error) {
	b := c.breakers.of(x.ID)
	var out T
	_, err := b.cb.Execute(func() (struct{}, error) {
		var err error
		out, err = call()
		return struct{}{}, err
	})
	var zero T
	switch {
	case errors.Is(err, gobreaker.ErrOpenState):
		b.mu.Lock()
		retryAt := b.openedAt.Add(c.breakers.openFor)
		b.mu.Unlock()
		return zero, &app.ExchangeFault{Reason: exchange.ReasonCircuitOpen, Message: msgCircuitOpen, RetryAt: retryAt, Err: err}
	case errors.Is(err, gobreaker.ErrTooManyRequests):
		// Half-open, with another call already probing: its answer comes soon.
		return zero, &app.ExchangeFault{Reason: exchange.ReasonCircuitOpen, Message: msgCircuitOpen, RetryAt: c.now(), Err: err}
	case err != nil:
		return zero, err
	}
	return out, nil
}
