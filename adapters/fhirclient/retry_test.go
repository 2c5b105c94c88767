package fhirclient_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/fhirclient"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// sequence answers the nth request with the nth handler, the last one from then on.
func sequence(hs ...http.HandlerFunc) http.HandlerFunc {
	var n atomic.Int32
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1)) - 1
		hs[min(i, len(hs)-1)](w, r)
	}
}

func status(code int, header ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		writeJSON(w, code, outcome("try later"))
	}
}

// cutShort declares a length it does not send, so the connection ends mid-body.
func cutShort(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Length", "4096")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(`{"resourceType":"Bundle","type":"searchset","entry":[{"resource":`))
}

// halfJSON is a whole response whose JSON stops partway (a proxy's truncation).
func halfJSON(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, `{"resourceType":"Bundle","type":"searchset","entry":[{"resource":{"resourceType":"Obs`)
}

// hangUp closes the connection without answering.
func hangUp(w http.ResponseWriter, r *http.Request) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

func TestABodyCutShortIsAskedForAgain(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), sequence(cutShort, halfJSON, ok))
	s := &sleeps{}
	if _, err := f.client(s).Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
	if len(f.fhirHits()) != 3 || len(s.Waits()) != 2 {
		t.Errorf("hits %d waits %v", len(f.fhirHits()), s.Waits())
	}
}

func TestBodiesCutShortEveryTimeAreMalformed(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), sequence(cutShort, halfJSON, cutShort))
	s := &sleeps{}
	_, err := f.client(s, func(o *fhirclient.Options) { o.MaxAttempts = 3 }).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonMalformed)
	if fault.Message != "The exchange sent an incomplete or malformed page" {
		t.Errorf("message %q", fault.Message)
	}
	if len(f.fhirHits()) != 3 || len(s.Waits()) != 2 {
		t.Errorf("hits %d waits %v", len(f.fhirHits()), s.Waits())
	}
}

func TestRetryAfterIsWaitedOutThroughSleep(t *testing.T) {
	date := t0.Add(7 * time.Second).Format(http.TimeFormat)
	f := newFake(t, writeKey(t, "es384", "jwk"), sequence(
		status(429, "Retry-After", "2"), status(429, "Retry-After", date), ok))
	s := &sleeps{}
	if _, err := f.client(s).Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
	if got, want := s.Waits(), []time.Duration{2 * time.Second, 7 * time.Second}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
}

func TestARetryAfterOverTheCapEndsTheCallWithRetryAt(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), status(429, "Retry-After", "120"))
	s := &sleeps{}
	_, err := f.client(s).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonRateLimited)
	if !fault.RetryAt.Equal(t0.Add(120*time.Second)) || fault.Status != 429 {
		t.Errorf("fault %+v", fault)
	}
	if len(s.Waits()) != 0 || len(f.fhirHits()) != 1 {
		t.Errorf("waited %v over %d hits", s.Waits(), len(f.fhirHits()))
	}
}

func TestRateLimitedUntilTheAttemptsRunOut(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), status(429, "Retry-After", "1"))
	s := &sleeps{}
	_, err := f.client(s, func(o *fhirclient.Options) { o.MaxAttempts = 3 }).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonRateLimited)
	if !fault.RetryAt.Equal(t0.Add(time.Second)) {
		t.Errorf("retry at %v", fault.RetryAt)
	}
	if got := s.Waits(); !slices.Equal(got, []time.Duration{time.Second, time.Second}) {
		t.Errorf("waits %v", got)
	}
}

func TestServerErrorsBackOffLongerEachTimeThenUnreachable(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), status(503))
	s := &sleeps{}
	_, err := f.client(s).Search(context.Background(), f.exchange(), observations)
	fault := asFault(t, err, exchange.ReasonUnreachable)
	if fault.Status != 503 || fault.Message != "The exchange is not answering; Kith will try again" {
		t.Errorf("fault %+v", fault)
	}
	if len(f.fhirHits()) != 5 {
		t.Errorf("attempts %d, want the default 5", len(f.fhirHits()))
	}
	waits := s.Waits()
	if len(waits) != 4 {
		t.Fatalf("waits %v", waits)
	}
	nominal := 500 * time.Millisecond
	for i, w := range waits {
		// Jittered by a quarter either side of a doubling interval.
		if lo, hi := nominal*3/4, nominal*5/4; w < lo || w > hi {
			t.Errorf("wait %d is %v, outside [%v, %v]", i, w, lo, hi)
		}
		if i > 0 && w <= waits[i-1] {
			t.Errorf("waits do not grow: %v", waits)
		}
		nominal *= 2
	}
}

func TestADroppedConnectionIsRetried(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), sequence(hangUp, ok))
	s := &sleeps{}
	// Fresh connections only: net/http itself retries a GET once when a reused
	// connection turns out closed, which would hide the client's own retry.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	if _, err := f.client(s, func(o *fhirclient.Options) { o.HTTP = fresh }).Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
	if len(f.fhirHits()) != 2 || len(s.Waits()) != 1 {
		t.Errorf("hits %d waits %v", len(f.fhirHits()), s.Waits())
	}
}

func TestARefusedConnectionEndsUnreachableWithoutTheNHSNumber(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), ok)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()
	x := f.exchange()
	x.BaseURL = gone.URL + "/r4/tenant"
	s := &sleeps{}
	_, err := f.client(s).MatchPatient(context.Background(), x, nhsNumber)
	fault := asFault(t, err, exchange.ReasonUnreachable)
	if fault.Status != 0 || len(s.Waits()) != 4 {
		t.Errorf("status %d waits %v", fault.Status, s.Waits())
	}
	if msg := err.Error(); strings.Contains(msg, nhsNumber) || strings.Contains(msg, "identifier") {
		t.Errorf("the error carries the query: %s", msg)
	}
}

func TestA4xxIsRejectedInTheExchangesWords(t *testing.T) {
	for _, tc := range []struct {
		name, body, want string
	}{
		{"diagnostics", outcome("Resource type 'Observation' requires a category"),
			"The exchange refused the request: Resource type 'Observation' requires a category"},
		{"details text", `{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"forbidden","details":{"text":"Patient has opted out of sharing"}}]}`,
			"The exchange refused the request: Patient has opted out of sharing"},
		{"an echoed NHS number", outcome("No consent recorded for https://fhir.nhs.uk/Id/nhs-number|943 476 5919 at https://ex.test/Patient?identifier=x"),
			"The exchange refused the request: No consent recorded for https://fhir.nhs.uk/Id/nhs-number|[number withheld] at https://ex.test/Patient"},
		{"an encoded NHS number", outcome("Unknown identifier nhs-number%7C9434765919"),
			"The exchange refused the request: Unknown identifier nhs-number%7C[number withheld]"},
		{"no outcome", `<html>Forbidden</html>`, "The exchange refused the request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, writeKey(t, "es384", "jwk"), func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusForbidden, tc.body)
			})
			s := &sleeps{}
			_, err := f.client(s).Search(context.Background(), f.exchange(), observations)
			fault := asFault(t, err, exchange.ReasonRejected)
			if fault.Message != tc.want || fault.Status != http.StatusForbidden {
				t.Errorf("message %q status %d", fault.Message, fault.Status)
			}
			if len(f.fhirHits()) != 1 || len(s.Waits()) != 0 {
				t.Error("a refusal was asked again")
			}
		})
	}
}

func TestPaceIsCalledBeforeEveryAttempt(t *testing.T) {
	f := newFake(t, writeKey(t, "es384", "jwk"), sequence(status(502), status(504), ok))
	var mu sync.Mutex
	var paced []string
	c := f.client(&sleeps{}, func(o *fhirclient.Options) {
		o.Pace = func(ctx context.Context, x exchange.Exchange) error {
			mu.Lock()
			defer mu.Unlock()
			paced = append(paced, x.ID)
			return nil
		}
	})
	if _, err := c.Search(context.Background(), f.exchange(), observations); err != nil {
		t.Fatal(err)
	}
	// The token request, then three attempts at the search.
	if want := []string{"test-exchange", "test-exchange", "test-exchange", "test-exchange"}; !slices.Equal(paced, want) {
		t.Errorf("paced %v", paced)
	}
	if f.tokenRequests()+len(f.fhirHits()) != len(paced) {
		t.Errorf("%d requests, %d paced", f.tokenRequests()+len(f.fhirHits()), len(paced))
	}
}

func TestCancellationIsTheCallersErrorNotAFault(t *testing.T) {
	notFault := func(t *testing.T, err error) {
		t.Helper()
		var f *app.ExchangeFault
		if !errors.Is(err, context.Canceled) || errors.As(err, &f) {
			t.Fatalf("want context.Canceled and no fault, got %v", err)
		}
	}
	t.Run("before the call", func(t *testing.T) {
		f := newFake(t, writeKey(t, "es384", "jwk"), ok)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := f.client(&sleeps{}).Search(ctx, f.exchange(), observations)
		notFault(t, err)
		if f.tokenRequests() != 0 || len(f.fhirHits()) != 0 {
			t.Error("asked the exchange for a call given up on")
		}
	})
	t.Run("while waiting to retry", func(t *testing.T) {
		f := newFake(t, writeKey(t, "es384", "jwk"), status(503))
		ctx, cancel := context.WithCancel(context.Background())
		c := f.client(&sleeps{}, func(o *fhirclient.Options) {
			o.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return ctx.Err() }
		})
		_, err := c.Search(ctx, f.exchange(), observations)
		notFault(t, err)
		if len(f.fhirHits()) != 1 {
			t.Errorf("hits %d", len(f.fhirHits()))
		}
	})
	t.Run("while the exchange answers", func(t *testing.T) {
		arrived := make(chan struct{})
		f := newFake(t, writeKey(t, "es384", "jwk"), func(w http.ResponseWriter, r *http.Request) {
			close(arrived)
			<-r.Context().Done()
		})
		ctx, cancel := context.WithCancel(context.Background())
		go func() { <-arrived; cancel() }()
		_, err := f.client(&sleeps{}).Search(ctx, f.exchange(), observations)
		notFault(t, err)
	})
	t.Run("while paced", func(t *testing.T) {
		f := newFake(t, writeKey(t, "es384", "jwk"), ok)
		ctx, cancel := context.WithCancel(context.Background())
		c := f.client(&sleeps{}, func(o *fhirclient.Options) {
			o.Pace = func(ctx context.Context, _ exchange.Exchange) error { cancel(); return ctx.Err() }
		})
		_, err := c.Search(ctx, f.exchange(), observations)
		notFault(t, err)
		if f.tokenRequests() != 0 {
			t.Error("a request went out after pacing gave up")
		}
	})
}
