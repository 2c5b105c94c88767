package fhirclient_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/fhirclient"
	"github.com/kith-health/kith/domain/exchange"
)

func breakerOptions(o *fhirclient.Options) {
	o.MaxAttempts = 2
	o.BreakerFailures = 3
	o.BreakerOpenFor = 2 * time.Minute
}

func TestTheBreakerOpensAfterFailedCallsAndFailsFast(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), status(503))
	c := f.client(&sleeps{}, breakerOptions)
	for range 3 {
		_, err := c.Search(context.Background(), f.exchange(), observations)
		asFault(t, err, exchange.ReasonUnreachable)
		f.clock.Advance(10 * time.Second)
	}
	asked := len(f.fhirHits())
	if asked != 6 {
		t.Fatalf("three calls of two attempts asked %d times", asked)
	}
	openedAt := f.clock.Now().Add(-10 * time.Second)
	f.clock.Advance(30 * time.Second)
	for _, call := range []func() error{
		func() error { _, err := c.Search(context.Background(), f.exchange(), observations); return err },
		func() error { _, err := c.MatchPatient(context.Background(), f.exchange(), nhsNumber); return err },
	} {
		fault := asFault(t, call(), exchange.ReasonCircuitOpen)
		if fault.Message != "Kith stopped asking the exchange for a while after repeated failures" {
			t.Errorf("message %q", fault.Message)
		}
		if want := openedAt.Add(2 * time.Minute); !fault.RetryAt.Equal(want) {
			t.Errorf("retry at %v, want %v (when it half-opens)", fault.RetryAt, want)
		}
	}
	if len(f.fhirHits()) != asked {
		t.Error("an open breaker let a request through")
	}
}

func TestTheBreakerIsPerExchange(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), status(503))
	c := f.client(&sleeps{}, breakerOptions)
	for range 3 {
		_, _ = c.Search(context.Background(), f.exchange(), observations)
	}
	other := f.exchange()
	other.ID = "other-exchange"
	_, err := c.Search(context.Background(), other, observations)
	asFault(t, err, exchange.ReasonUnreachable) // asked, not cut off
}

func TestMalformedPagesOpenTheBreakerToo(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), halfJSON)
	c := f.client(&sleeps{}, breakerOptions)
	for range 3 {
		_, err := c.Search(context.Background(), f.exchange(), observations)
		asFault(t, err, exchange.ReasonMalformed)
	}
	_, err := c.Search(context.Background(), f.exchange(), observations)
	asFault(t, err, exchange.ReasonCircuitOpen)
}

func TestRefusalsAndMissingMatchesDoNotOpenTheBreaker(t *testing.T) {
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		call    func(*fhirclient.Client, exchange.Exchange) error
		reason  string
	}{
		{"4xx", status(http.StatusBadRequest), func(c *fhirclient.Client, x exchange.Exchange) error {
			_, err := c.Search(context.Background(), x, observations)
			return err
		}, exchange.ReasonRejected},
		{"not matched", ok, func(c *fhirclient.Client, x exchange.Exchange) error {
			_, err := c.MatchPatient(context.Background(), x, nhsNumber)
			return err
		}, exchange.ReasonNotMatched},
		{"rate limited", status(429, "Retry-After", "600"), func(c *fhirclient.Client, x exchange.Exchange) error {
			_, err := c.Search(context.Background(), x, observations)
			return err
		}, exchange.ReasonRateLimited},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, writeKey(t, "es384", "jwk"), tc.handler)
			c := f.client(&sleeps{}, breakerOptions)
			for range 5 {
				asFault(t, tc.call(c, f.exchange()), tc.reason)
			}
		})
	}
}

func TestCancelledCallsDoNotOpenTheBreaker(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	c := f.client(&sleeps{}, breakerOptions)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for range 5 {
		_, _ = c.Search(ctx, f.exchange(), observations)
	}
	if _, err := c.Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
}

func TestASuccessResetsTheCountOfFailures(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), sequence(
		status(503), status(503), status(503), status(503), // two failed calls
		ok,
		status(503), status(503), status(503), status(503), // two more
		ok))
	c := f.client(&sleeps{}, breakerOptions)
	for _, want := range []string{exchange.ReasonUnreachable, exchange.ReasonUnreachable, "", exchange.ReasonUnreachable, exchange.ReasonUnreachable, ""} {
		_, err := c.Search(context.Background(), f.exchange(), observations)
		if want == "" {
			if err != nil {
				t.Fatal(err)
			}
			continue
		}
		asFault(t, err, want)
	}
}
