package app_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/fhirclient"
	"github.com/kith-health/kith/adapters/fixtures"
	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// lockedClock is a clock the test moves, safe for the sandbox, the client and the
// app to read at once. Waits (backoff, Retry-After, pacing) move it instead of
// sleeping, so nothing here waits on the wall clock.
type lockedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *lockedClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *lockedClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}
func (c *lockedClock) sleep(ctx context.Context, d time.Duration) error {
	c.advance(d)
	return ctx.Err()
}

// pullWorld is Kith pulling from a sandbox exchange on loopback, on one store.
type pullWorld struct {
	app     *app.App
	store   app.Store
	clock   *lockedClock
	sandbox *sandbox.Sandbox
	callers map[string]identity.Principal // by sandbox patient id
	links   map[string]exchange.Link
}

var operator = identity.Principal{Kind: identity.KindOperator, Operator: "ops@kith.test"}

func newPullWorld(t testing.TB, store app.Store, bundles [][]byte, faults sandbox.Faults, opts ...app.Option) *pullWorld {
	t.Helper()
	return newTunedPullWorld(t, store, bundles, faults, func(*app.ExchangeSettings) {}, opts...)
}

// newTunedPullWorld is newPullWorld with the pull settings changed by tune.
func newTunedPullWorld(t testing.TB, store app.Store, bundles [][]byte, faults sandbox.Faults, tune func(*app.ExchangeSettings), opts ...app.Option) *pullWorld {
	t.Helper()
	ctx := context.Background()
	clock := &lockedClock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	sb, err := sandbox.New(sandbox.Config{Bundles: bundles, Prefix: "/fhir", Faults: faults, Seed: 7, Now: clock.now,
		Sleep: func(time.Duration) {}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(srv.Close)

	var a *app.App
	client := fhirclient.New(fhirclient.Options{Now: clock.now, Sleep: clock.sleep,
		Pace: func(ctx context.Context, x exchange.Exchange) error { return a.PaceExchange(ctx, x) }})
	settings := app.DefaultExchangeSettings
	settings.Sleep, settings.Spread = clock.sleep, func() float64 { return 0.5 }
	tune(&settings)
	a, err = app.New(store, clock.now, append([]app.Option{app.WithExchanges(client, settings)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.RegisterExchange(ctx, operator, exchange.Registration{ID: "sandbox", Name: "Sandbox Care Record",
		BaseURL: srv.URL + "/fhir", Client: exchange.Client{ID: "kith-test", KeyFile: clientKey(t)}, PageSize: 50,
		RatePerSecond: 40}, false)
	if err != nil {
		t.Fatal(err)
	}
	w := &pullWorld{app: a, store: store, clock: clock, sandbox: sb, callers: map[string]identity.Principal{},
		links: map[string]exchange.Link{}}
	for _, p := range sb.Patients() {
		caller := identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{Issuer: "https://idp.test",
			Subject: "sandbox-" + p.ID, NHSNumber: patient.NHSNumber(p.NHSNumber), BirthDate: patient.BirthDate(p.BirthDate),
			Proofing: patient.ProofingP9}}
		l, created, err := a.LinkExchange(ctx, caller, app.LinkCommand{Exchange: "sandbox"})
		if err != nil || !created {
			t.Fatalf("link %s: created=%v %v", p.ID, created, err)
		}
		w.callers[p.ID], w.links[p.ID] = caller, l.Link
	}
	return w
}

// clientKey writes an ES384 key, as an operator would make one for an exchange.
func clientKey(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "exchange-client.jwk")
	if err := sandbox.WriteClientKey(path, "kith-test-1"); err != nil {
		t.Fatal(err)
	}
	return path
}

// syncAll runs scheduler rounds, moving the clock on between them so failed
// pulls come due again, until every link is up to date.
func (w *pullWorld) syncAll(t testing.TB) {
	t.Helper()
	ctx := context.Background()
	for round := range 60 {
		if _, err := w.app.SyncDue(ctx, "node-1"); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		pending := 0
		for id, caller := range w.callers {
			links, err := w.app.ExchangeLinks(ctx, caller)
			if err != nil {
				t.Fatal(err)
			}
			w.links[id] = links[0].Link
			if links[0].Status != exchange.UpToDate || links[0].NextDueAt.Before(w.clock.now()) {
				pending++
			}
		}
		if pending == 0 {
			return
		}
		w.clock.advance(20 * time.Minute)
	}
	t.Fatalf("links still not up to date after 60 rounds: %+v", w.links)
}

// checkEveryResourceOnce: each patient's record holds each resource the sandbox
// serves for them exactly once, and their summary is what the entries say.
func (w *pullWorld) checkEveryResourceOnce(t testing.TB) (total int) {
	t.Helper()
	ctx := context.Background()
	for _, sp := range w.sandbox.Patients() {
		caller := w.callers[sp.ID]
		p, err := w.app.Me(ctx, caller)
		if err != nil {
			t.Fatal(err)
		}
		var entries []record.Entry
		seen := map[string]int{}
		if err := w.store.EachEntryForDisclosure(ctx, p.ID, func(e record.Entry) error {
			entries = append(entries, e)
			for _, pv := range e.Provenances {
				if pv.Source == "sandbox" && !slices.Contains(e.Flags, record.WithdrawnBySource) {
					seen[pv.SourceID]++
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("patient %s: %s is in the record %d times", sp.ID, id, n)
			}
		}
		if len(seen) != sp.Resources {
			t.Errorf("patient %s: %d of the sandbox's %d resources are in the record", sp.ID, len(seen), sp.Resources)
		}
		got, err := w.app.RecordSummary(ctx, caller, app.RecordRef{})
		if err != nil {
			t.Fatal(err)
		}
		self := access.Decision{Allowed: true, Basis: access.BasisSelf, Scope: access.Scope{}}
		for _, c := range record.Categories {
			self.Scope[c] = true
		}
		if a, b := comparable(got), comparable(record.SummaryOf(p.ID, entries, self.Permits)); !reflect.DeepEqual(a, b) {
			t.Errorf("patient %s: the summary is not what the entries say\n got %+v\nwant %+v", sp.ID, a, b)
		}
		total += len(seen)
	}
	return total
}

func syntheticBundles(t *testing.T, people ...synthetic.Person) [][]byte {
	t.Helper()
	var out [][]byte
	for _, p := range people {
		b, err := synthetic.Demo(p, time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

var (
	ada  = synthetic.Person{NHSNumber: "9990000042", GivenName: "Ada", FamilyName: "Pull", BirthDate: "1970-05-06", Gender: "female"}
	bram = synthetic.Person{NHSNumber: "9990000050", GivenName: "Bram", FamilyName: "Pull", BirthDate: "1988-09-10", Gender: "male"}
)

// Every shared Synthea patient, linked to a sandbox that fails one request in six
// (10% 500s, 5% 429s, 2% cut-short bodies, 1% dropped connections), is pulled
// whole, each resource exactly once; resources the sandbox adds later are all
// that a second pull brings.
func TestPullsEverySyntheaPatientThroughFaults(t *testing.T) {
	bundles, err := sandbox.LoadDir(filepath.Join(fixtures.Dir(t), "synthea"))
	if err != nil {
		t.Fatal(err)
	}
	w := newPullWorld(t, newStore(t), bundles, sandbox.Faults{Rate500: 0.10, Rate429: 0.05, RateTruncate: 0.02, RateDrop: 0.01})
	w.syncAll(t)
	first := w.checkEveryResourceOnce(t)
	stats := w.sandbox.Stats()
	if stats.Injected500 == 0 || stats.Injected429 == 0 || stats.Truncated == 0 || stats.Dropped == 0 {
		t.Fatalf("the faults were not all exercised: %+v", stats)
	}
	t.Logf("pulled %d resources of %d patients through %+v", first, len(bundles), stats)

	w.clock.advance(time.Hour)
	added := w.sandbox.Grow(25)
	w.clock.advance(7 * time.Hour) // every link due again
	w.syncAll(t)
	if second := w.checkEveryResourceOnce(t); second != first+len(added) {
		t.Fatalf("after the sandbox added %d resources the records hold %d, want %d", len(added), second, first+len(added))
	}
}

// A pull without faults of a small record: statuses, cursors, a resource the
// exchange deletes, and consent withdrawn by unlinking.
func TestAPullKeepsCursorsAndWithdrawsWhatTheSourceDeleted(t *testing.T) {
	w := newPullWorld(t, newStore(t), syntheticBundles(t, ada, bram), sandbox.Faults{})
	ctx := context.Background()
	w.syncAll(t)
	w.checkEveryResourceOnce(t)
	for id, l := range w.links {
		if l.Pulled == 0 || l.LastSuccessAt.IsZero() || l.SourcePatient == "" || len(l.Cursors) == 0 {
			t.Fatalf("link of %s after a pull: %+v", id, l)
		}
		for _, c := range l.Cursors {
			if c.Next != "" || c.Since.IsZero() {
				t.Fatalf("link of %s: cursor %+v after a finished pull", id, c)
			}
		}
	}

	// The sandbox drops one of Ada's conditions: Condition has no _lastUpdated
	// there, so the next pull sweeps it and withdraws the one that is gone.
	var adaID string
	for _, sp := range w.sandbox.Patients() {
		if sp.NHSNumber == ada.NHSNumber {
			adaID = sp.ID
		}
	}
	p, err := w.app.Me(ctx, w.callers[adaID])
	if err != nil {
		t.Fatal(err)
	}
	heads, _, err := w.store.EntryHeads(ctx, p.ID, app.EntryQuery{ResourceType: "Condition", Limit: 1})
	if err != nil || len(heads) == 0 {
		t.Fatalf("Ada has no condition: %v", err)
	}
	gone := heads[0]
	if err := w.sandbox.Delete(gone.Provenances[0].SourceID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.SyncExchangeLink(ctx, w.callers[adaID], w.links[adaID].ID); err != nil {
		t.Fatal(err)
	}
	w.syncAll(t)
	after, err := w.store.EntryState(ctx, p.ID, gone.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(after.Flags, record.WithdrawnBySource) || after.Clinical.Current || after.Deleted {
		t.Fatalf("a condition the exchange deleted: flags %v, current %v, deleted %v", after.Flags, after.Clinical.Current, after.Deleted)
	}

	// An Observation is searched by _lastUpdated, which never shows a deletion:
	// the type's history does.
	obs, _, err := w.store.EntryHeads(ctx, p.ID, app.EntryQuery{ResourceType: "Observation", Limit: 1})
	if err != nil || len(obs) == 0 {
		t.Fatalf("Ada has no observation: %v", err)
	}
	w.clock.advance(2 * time.Minute)
	if err := w.sandbox.Delete(obs[0].Provenances[0].SourceID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.SyncExchangeLink(ctx, w.callers[adaID], w.links[adaID].ID); err != nil {
		t.Fatal(err)
	}
	w.syncAll(t)
	if after, err := w.store.EntryState(ctx, p.ID, obs[0].ID); err != nil || !slices.Contains(after.Flags, record.WithdrawnBySource) {
		t.Fatalf("an observation the exchange deleted: flags %v (%v)", after.Flags, err)
	}

	// Asking again at once is refused with when to ask.
	w.clock.advance(2 * time.Minute)
	if _, err := w.app.SyncExchangeLink(ctx, w.callers[adaID], w.links[adaID].ID); err != nil {
		t.Fatal(err)
	}
	_, err = w.app.SyncExchangeLink(ctx, w.callers[adaID], w.links[adaID].ID)
	var limited *fault.RateLimitedError
	if !errors.As(err, &limited) || limited.RetryAfter <= 0 || limited.RetryAfter > time.Minute {
		t.Fatalf("a second sync-now within a minute: %v", err)
	}

	// Unlinked: no more pulls, the record stays.
	before := w.checkEveryResourceOnce(t)
	if err := w.app.UnlinkExchange(ctx, w.callers[adaID], w.links[adaID].ID); err != nil {
		t.Fatal(err)
	}
	w.sandbox.Grow(10)
	w.clock.advance(24 * time.Hour)
	if _, err := w.app.SyncDue(ctx, "node-1"); err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := w.store.EachEntryForDisclosure(ctx, p.ID, func(record.Entry) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	if n == 0 || before == 0 {
		t.Fatal("unlinking emptied the record")
	}
	links, err := w.app.ExchangeLinks(ctx, w.callers[adaID])
	if err != nil || len(links) != 0 {
		t.Fatalf("links after unlinking: %v %v", links, err)
	}
}

// An exchange that puts another patient's result among this one's gets that page
// refused whole, and the link says so.
func TestAResourceAboutSomeoneElseIsNotStored(t *testing.T) {
	w := newPullWorld(t, newStore(t), syntheticBundles(t, ada, bram), sandbox.Faults{})
	ctx := context.Background()
	w.syncAll(t)
	var adaID, bramID string
	for _, sp := range w.sandbox.Patients() {
		if sp.NHSNumber == ada.NHSNumber {
			adaID = sp.ID
		} else {
			bramID = sp.ID
		}
	}
	p, err := w.app.Me(ctx, w.callers[adaID])
	if err != nil {
		t.Fatal(err)
	}
	before, err := w.store.RecordTally(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	w.clock.advance(2 * time.Minute)
	if _, err := w.sandbox.Add(adaID, []byte(`{"resourceType":"Observation","status":"final",
		"code":{"text":"Bram's glucose"},"subject":{"reference":"Patient/`+bramID+`"},"valueQuantity":{"value":9.9,"unit":"mmol/L"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.SyncExchangeLink(ctx, w.callers[adaID], w.links[adaID].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.SyncDue(ctx, "node-1"); err != nil {
		t.Fatal(err)
	}
	links, err := w.app.ExchangeLinks(ctx, w.callers[adaID])
	if err != nil {
		t.Fatal(err)
	}
	if l := links[0]; l.Status != exchange.Failing || l.LastErrorReason != exchange.ReasonIdentity {
		t.Fatalf("link after a page with another patient's result: %+v", l.Link)
	}
	after, err := w.store.RecordTally(ctx, p.ID)
	if err != nil || !reflect.DeepEqual(before, after) {
		t.Fatalf("the record changed: %v\nbefore %+v\nafter  %+v", err, before, after)
	}
}

// A patient whose NHS number the exchange does not hold is told so, and nothing
// is pulled.
func TestAPatientTheExchangeDoesNotHoldIsNotMatched(t *testing.T) {
	w := newPullWorld(t, newStore(t), syntheticBundles(t, ada), sandbox.Faults{})
	ctx := context.Background()
	stranger := identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{Issuer: "https://idp.test",
		Subject: "stranger", NHSNumber: "9990000069", BirthDate: "1990-01-01", Proofing: patient.ProofingP9}}
	if _, _, err := w.app.LinkExchange(ctx, stranger, app.LinkCommand{Exchange: "sandbox"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.SyncDue(ctx, "node-1"); err != nil {
		t.Fatal(err)
	}
	links, err := w.app.ExchangeLinks(ctx, stranger)
	if err != nil {
		t.Fatal(err)
	}
	l := links[0]
	if l.Status != exchange.NotMatched || l.LastErrorReason != exchange.ReasonNotMatched || l.LastError == "" {
		t.Fatalf("link of a patient the exchange does not hold: %+v", l.Link)
	}
	p, _ := w.app.Me(ctx, stranger)
	if tally, err := w.store.RecordTally(ctx, p.ID); err != nil || len(tally.Rows) != 0 {
		t.Fatalf("something was pulled for them: %+v %v", tally, err)
	}
}

// BenchmarkPullFromSandbox pulls every shared Synthea patient from the sandbox on
// loopback into a fresh SQLite store, without faults and with the faults of the
// end-to-end test, and reports resources pulled per second.
func BenchmarkPullFromSandbox(b *testing.B) {
	bundles, err := sandbox.LoadDir(filepath.Join(fixtures.Dir(b), "synthea"))
	if err != nil {
		b.Fatal(err)
	}
	for name, faults := range map[string]sandbox.Faults{
		"no-faults": {},
		"faults":    {Rate500: 0.10, Rate429: 0.05, RateTruncate: 0.02, RateDrop: 0.01},
	} {
		b.Run(name, func(b *testing.B) {
			resources, elapsed := 0, time.Duration(0)
			for range b.N {
				b.StopTimer()
				w := newPullWorld(b, newStore(b), bundles, faults)
				b.StartTimer()
				start := time.Now()
				w.syncAll(b)
				elapsed += time.Since(start)
				b.StopTimer()
				for _, p := range w.sandbox.Patients() {
					resources += p.Resources
				}
				b.StartTimer()
			}
			b.ReportMetric(float64(resources)/elapsed.Seconds(), "resources/s")
		})
	}
}
