package sandbox_test

import (
	"errors"
	"io"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/sandbox"
)

// freshClient opens a new connection per request, so a dropped connection is
// reported rather than retried by the transport on another one.
func freshClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
}

func (x *exchange) rawGet(c *http.Client, path string) (*http.Response, error) {
	req, _ := http.NewRequest(http.MethodGet, x.base()+path, nil)
	req.Header.Set("Authorization", "Bearer "+x.token)
	return c.Do(req)
}

func TestThrottlingAnswers429WithRetryAfter(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord()})
	x.sb.SetFaults(sandbox.Faults{Rate429: 1})
	resp, body := x.get("/Observation?patient=p1")
	wantOutcome(t, resp, body, http.StatusTooManyRequests)
	if resp.Header.Get("Retry-After") != "1" {
		t.Errorf("Retry-After %q, want 1", resp.Header.Get("Retry-After"))
	}
	// Metadata is not spared: a client must retry discovery too.
	resp, body = x.get("/metadata")
	wantOutcome(t, resp, body, http.StatusTooManyRequests)
	if got := x.sb.Stats().Injected429; got != 2 {
		t.Errorf("Injected429 = %d, want 2", got)
	}
}

func TestServerErrorsAnswer500(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord()})
	x.sb.SetFaults(sandbox.Faults{Rate500: 1})
	resp, body := x.get("/Patient")
	wantOutcome(t, resp, body, http.StatusInternalServerError)
	if got := x.sb.Stats().Injected500; got != 1 {
		t.Errorf("Injected500 = %d, want 1", got)
	}
}

func TestTruncatedBodyIsAnUnexpectedEOF(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord()})
	x.sb.SetFaults(sandbox.Faults{RateTruncate: 1})
	resp, err := x.rawGet(freshClient(), "/Observation?patient=p1")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.ContentLength <= 0 {
		t.Fatalf("status %d, Content-Length %d: the headers should promise the whole body", resp.StatusCode, resp.ContentLength)
	}
	got, err := io.ReadAll(resp.Body)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("read %d of %d bytes, error %v, want unexpected EOF", len(got), resp.ContentLength, err)
	}
	if len(got) == 0 || int64(len(got)) >= resp.ContentLength {
		t.Errorf("read %d of %d bytes, want about half", len(got), resp.ContentLength)
	}
	if s := x.sb.Stats(); s.Truncated != 1 {
		t.Errorf("Truncated = %d, want 1", s.Truncated)
	}
}

func TestDroppedConnectionGetsNoResponse(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord()})
	x.sb.SetFaults(sandbox.Faults{RateDrop: 1})
	resp, err := x.rawGet(freshClient(), "/Patient")
	if err == nil {
		resp.Body.Close()
		t.Fatalf("got a response (%d) from a dropped connection", resp.StatusCode)
	}
	if got := x.sb.Stats().Dropped; got != 1 {
		t.Errorf("Dropped = %d, want 1", got)
	}
}

func TestFaultsNeverChangeWhatIsServed(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	want := x.search("/Observation?patient=p1&_count=200").ids()
	x.sb.SetFaults(sandbox.Faults{Rate429: 0.2, Rate500: 0.2, RateTruncate: 0.2, RateDrop: 0.2})
	c := freshClient()
	for range 60 {
		if resp, err := x.rawGet(c, "/Observation?patient=p1&_count=200"); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	x.sb.SetFaults(sandbox.Faults{})
	if got := x.search("/Observation?patient=p1&_count=200").ids(); !slices.Equal(got, want) {
		t.Error("the faults changed the search results")
	}
	s := x.sb.Stats()
	if s.Injected429 == 0 || s.Injected500 == 0 || s.Truncated == 0 || s.Dropped == 0 {
		t.Errorf("with 20%% of each, some kind never happened in 60 requests: %+v", s)
	}
}

func TestFaultsAreDeterministicForASeed(t *testing.T) {
	statuses := func(seed int64) []int {
		x := start(t, sandbox.Config{Bundles: oneRecord(), Seed: seed})
		x.sb.SetFaults(sandbox.Faults{Rate429: 0.3, Rate500: 0.3})
		var out []int
		for range 30 {
			resp, _ := x.get("/Patient")
			out = append(out, resp.StatusCode)
		}
		return out
	}
	a, b, other := statuses(7), statuses(7), statuses(8)
	if !slices.Equal(a, b) {
		t.Errorf("one seed, two sequences:\n%v\n%v", a, b)
	}
	if slices.Equal(a, other) {
		t.Error("two seeds gave the same 30 fates")
	}
}

func TestLatencyUsesTheInjectedSleep(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: oneRecord(), Faults: sandbox.Faults{Latency: 250 * time.Millisecond}})
	x.get("/Patient")
	x.sleep.mu.Lock()
	defer x.sleep.mu.Unlock()
	// The token request and this one.
	if !slices.Equal(x.sleep.slept, []time.Duration{250 * time.Millisecond, 250 * time.Millisecond}) {
		t.Errorf("slept %v", x.sleep.slept)
	}
}

func TestResourcesGrowWithTheInjectedClock(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords(), Faults: sandbox.Faults{GrowEvery: 30 * time.Second}})
	before := x.sb.Patients()
	x.clock.Advance(95 * time.Second)
	x.get("/metadata") // growth happens on requests, never in the background
	after := x.sb.Patients()
	if grew := after[0].Resources + after[1].Resources - before[0].Resources - before[1].Resources; grew != 3 {
		t.Fatalf("grew %d in 95 s at one per 30 s, want 3", grew)
	}
	// Spread over the patients, and found by an incremental search.
	if after[0].Resources-before[0].Resources != 2 || after[1].Resources-before[1].Resources != 1 {
		t.Errorf("growth per patient: %v then %v", before, after)
	}
	b := x.search("/Observation?patient=p2&_lastUpdated=gt2025-03-14T09:00:00.000Z")
	if len(b.Entry) != 1 {
		t.Errorf("%d grown Observations for p2 found after 09:00, want 1", len(b.Entry))
	}
	x.clock.Advance(20 * time.Second) // 115 s: still 3
	x.get("/metadata")
	if n := x.sb.Patients()[0].Resources + x.sb.Patients()[1].Resources; n != after[0].Resources+after[1].Resources {
		t.Errorf("grew before the next 30 s had passed")
	}
}

func TestGrowIsDeterministic(t *testing.T) {
	grow := func() []string {
		x := start(t, sandbox.Config{Bundles: twoRecords(), Seed: 3})
		refs := x.sb.Grow(4)
		var bodies []string
		for _, ref := range refs {
			_, body := x.get("/" + ref)
			bodies = append(bodies, string(body))
		}
		return bodies
	}
	a, b := grow(), grow()
	if len(a) != 4 || !slices.Equal(a, b) {
		t.Errorf("Grow(4) twice with one seed:\n%v\n%v", a, b)
	}
}
