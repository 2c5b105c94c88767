package exchange_test

import (
	"testing"
	"time"

	"github.com/kith-health/kith/domain/exchange"
)

var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func TestFailuresBackOffUpToTheInterval(t *testing.T) {
	s := exchange.Schedule{Interval: time.Hour, FirstRetry: time.Minute, NotMatchedRetry: 24 * time.Hour}
	l := exchange.NewLink("l1", "p1", "x1", false, t0)
	var waits []time.Duration
	for range 8 {
		l.Fail(s, exchange.ReasonUnreachable, "The exchange is not answering", time.Time{}, t0, 0.5)
		waits = append(waits, l.NextDueAt.Sub(t0))
	}
	want := []time.Duration{time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 16 * time.Minute,
		32 * time.Minute, time.Hour, time.Hour}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits after each failure = %v, want %v", waits, want)
		}
	}
	if l.Status != exchange.Failing || l.Failures != 8 || l.LastError == "" {
		t.Fatalf("link after failures = %+v", l)
	}
	l.Succeed(s, 42, t0, 0.5)
	if l.Status != exchange.UpToDate || l.Failures != 0 || l.LastError != "" || l.LastErrorReason != "" || l.Pulled != 42 ||
		!l.NextDueAt.Equal(t0.Add(time.Hour)) || !l.LastSuccessAt.Equal(t0) {
		t.Fatalf("link after success = %+v", l)
	}
}

func TestRetryAfterHoldsTheNextTryBack(t *testing.T) {
	s := exchange.DefaultSchedule
	l := exchange.NewLink("l1", "p1", "x1", false, t0)
	later := t0.Add(20 * time.Minute)
	l.Fail(s, exchange.ReasonRateLimited, "slow down", later, t0, 0.5)
	if !l.NextDueAt.Equal(later) {
		t.Fatalf("next due = %v, want the exchange's Retry-After %v", l.NextDueAt, later)
	}
}

func TestNotMatchedWaitsADay(t *testing.T) {
	s := exchange.DefaultSchedule
	for _, reason := range []string{exchange.ReasonNotMatched, exchange.ReasonAmbiguous} {
		l := exchange.NewLink("l1", "p1", "x1", false, t0)
		l.Fail(s, reason, "no record", time.Time{}, t0, 0.5)
		if l.Status != exchange.NotMatched || !l.NextDueAt.Equal(t0.Add(24*time.Hour)) {
			t.Fatalf("%s: status %s, next due %v", reason, l.Status, l.NextDueAt)
		}
	}
}

func TestJitterSpreadsNextDueEitherSide(t *testing.T) {
	s := exchange.Schedule{Interval: 10 * time.Hour, Jitter: 0.1}
	for spread, want := range map[float64]time.Duration{0: 9 * time.Hour, 0.5: 10 * time.Hour, 0.999999: 11 * time.Hour} {
		l := exchange.NewLink("l1", "p1", "x1", false, t0)
		l.Succeed(s, 0, t0, spread)
		if got := l.NextDueAt.Sub(t0); got.Round(time.Minute) != want {
			t.Errorf("spread %v: next due in %v, want %v", spread, got, want)
		}
	}
}

func TestSyncNowIsLimitedPerLink(t *testing.T) {
	s := exchange.Schedule{Interval: time.Hour, SyncNowEvery: time.Minute}
	l := exchange.NewLink("l1", "p1", "x1", false, t0)
	l.Succeed(s, 1, t0, 0.5)
	if _, ok := l.RequestSync(s, t0.Add(time.Second)); !ok || !l.NextDueAt.Equal(t0.Add(time.Second)) {
		t.Fatalf("first sync request: ok=%v next due %v", ok, l.NextDueAt)
	}
	retry, ok := l.RequestSync(s, t0.Add(30*time.Second))
	if ok || !retry.Equal(t0.Add(61*time.Second)) {
		t.Fatalf("second request within a minute: ok=%v retry at %v", ok, retry)
	}
	if _, ok := l.RequestSync(s, t0.Add(62*time.Second)); !ok {
		t.Fatal("a request after a minute is refused")
	}
}

func TestCursorsAreKeptPerType(t *testing.T) {
	l := exchange.NewLink("l1", "p1", "x1", false, t0)
	if c := l.Cursor("Observation"); c.ResourceType != "Observation" || !c.Since.IsZero() || c.Next != "" {
		t.Fatalf("a type never pulled has cursor %+v", c)
	}
	l.SetCursor(exchange.Cursor{ResourceType: "Observation", Next: "https://x/next"})
	l.SetCursor(exchange.Cursor{ResourceType: "Condition", Since: t0})
	l.SetCursor(exchange.Cursor{ResourceType: "Observation", Since: t0})
	if len(l.Cursors) != 2 || l.Cursor("Observation").Next != "" || !l.Cursor("Condition").Since.Equal(t0) {
		t.Fatalf("cursors = %+v", l.Cursors)
	}
}

func TestRegistrationIsChecked(t *testing.T) {
	good := exchange.Registration{ID: "london-care-record", Name: "London Care Record",
		BaseURL: "https://fhir.example.nhs.uk/r4/tenant", Client: exchange.Client{ID: "kith"}}
	x, err := exchange.New(good, nil, false, t0)
	if err != nil || x.PageSize != exchange.DefaultPageSize || x.Concurrency != exchange.DefaultConcurrency || x.Status != exchange.Active {
		t.Fatalf("New(good) = %+v, %v", x, err)
	}
	for name, change := range map[string]func(*exchange.Registration){
		"id with capitals":      func(r *exchange.Registration) { r.ID = "London" },
		"no name":               func(r *exchange.Registration) { r.Name = " " },
		"plain http elsewhere":  func(r *exchange.Registration) { r.BaseURL = "http://fhir.example.nhs.uk/r4" },
		"credentials in url":    func(r *exchange.Registration) { r.BaseURL = "https://u:p@fhir.example.nhs.uk/r4" },
		"token url not https":   func(r *exchange.Registration) { r.Client.TokenURL = "ftp://x/token" },
		"page size too large":   func(r *exchange.Registration) { r.PageSize = 5000 },
		"negative rate":         func(r *exchange.Registration) { r.RatePerSecond = -1 },
		"concurrency too large": func(r *exchange.Registration) { r.Concurrency = 100 },
	} {
		r := good
		change(&r)
		if _, err := exchange.New(r, nil, false, t0); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	r := good
	r.BaseURL = "http://127.0.0.1:8090/fhir/"
	if x, err := exchange.New(r, nil, false, t0); err != nil || x.BaseURL != "http://127.0.0.1:8090/fhir" {
		t.Errorf("a loopback sandbox: %+v, %v", x, err)
	}
}

func TestCountKeepsWithinTheTypeCap(t *testing.T) {
	x := exchange.Exchange{PageSize: 200}
	if n := x.Count(exchange.TypeSupport{MaxCount: 100}); n != 100 {
		t.Errorf("capped type: %d", n)
	}
	if n := x.Count(exchange.TypeSupport{}); n != 200 {
		t.Errorf("uncapped type: %d", n)
	}
}
