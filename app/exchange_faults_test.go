package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/exchange"
)

// An exchange that fails every request leaves each link failing, in words, with
// the record as it was; after five failed pulls the breaker opens and the other
// links fail at once without asking; once the exchange answers again every link
// finishes.
func TestAFailingExchangeShowsOnTheLinksAndRecovers(t *testing.T) {
	var people []synthetic.Person
	for i := range 7 {
		p := ada
		p.NHSNumber, p.GivenName = []string{"9990000042", "9990000050", "9990000069", "9990000077", "9990000085",
			"9990000093", "9990000107"}[i], fmt.Sprintf("Ada%d", i)
		people = append(people, p)
	}
	w := newTunedPullWorld(t, newStore(t), syntheticBundles(t, people...), sandbox.Faults{},
		func(s *app.ExchangeSettings) { s.Workers = 1 })
	ctx := context.Background()
	w.sandbox.SetFaults(sandbox.Faults{Rate500: 1})
	for range 7 {
		if _, err := w.app.SyncDue(ctx, "node-1"); err != nil {
			t.Fatal(err)
		}
	}
	reasons := map[string]int{}
	for _, caller := range w.callers {
		links, err := w.app.ExchangeLinks(ctx, caller)
		if err != nil {
			t.Fatal(err)
		}
		l := links[0]
		if l.Status != exchange.Failing || l.LastError == "" || !l.NextDueAt.After(w.clock.now()) || l.Failures != 1 {
			t.Fatalf("link after the exchange failed every request: %+v", l.Link)
		}
		reasons[l.LastErrorReason]++
	}
	if reasons[exchange.ReasonUnreachable] != 5 || reasons[exchange.ReasonCircuitOpen] != 2 {
		t.Fatalf("the links' reasons: %v, want 5 unreachable and then 2 refused by the open breaker", reasons)
	}

	w.sandbox.SetFaults(sandbox.Faults{})
	w.syncAll(t) // the clock moves on: past the breaker's wait, and the links' backoff
	w.checkEveryResourceOnce(t)
}

// PaceExchange keeps every node's requests to an exchange within its ceiling: a
// burst waits for the next one-second window.
func TestRequestsToAnExchangeArePacedAcrossNodes(t *testing.T) {
	clock := &lockedClock{t: time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)}
	store := newStore(t)
	settings := app.DefaultExchangeSettings
	settings.Sleep = clock.sleep
	var nodes []*app.App
	for range 2 {
		a, err := app.New(store, clock.now, app.WithExchanges(nil, settings))
		if err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, a)
	}
	x := exchange.Exchange{ID: "lcr", RatePerSecond: 5}
	perSecond := map[int64]int{}
	for i := range 23 {
		if err := nodes[i%2].PaceExchange(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		perSecond[clock.now().Unix()]++
	}
	for second, n := range perSecond {
		if n > 5 {
			t.Errorf("%d requests went out in the second at %d, over the ceiling of 5", n, second)
		}
	}
	if len(perSecond) < 5 {
		t.Errorf("23 requests at 5 a second spread over %d seconds", len(perSecond))
	}
}

// A patient who asked to be told of new results gets one push when a later
// pull brings one, naming the link and nothing clinical; the first pull, which
// brings the whole history, sends none.
func TestNewResultsFromAnExchangePushWhenAsked(t *testing.T) {
	fake := contractCheckedFCM(t)
	w := newPullWorld(t, newStore(t), syntheticBundles(t, ada), sandbox.Faults{},
		app.WithPush(mustPusher(t, fake), app.DefaultAlertSettings))
	ctx := context.Background()
	var id string
	for sid := range w.callers {
		id = sid
	}
	caller := w.callers[id]
	if err := w.app.UnlinkExchange(ctx, caller, w.links[id].ID); err != nil {
		t.Fatal(err)
	}
	l, _, err := w.app.LinkExchange(ctx, caller, app.LinkCommand{Exchange: "sandbox", AlertNewResults: true})
	if err != nil {
		t.Fatal(err)
	}
	w.links[id] = l.Link
	if _, _, err := w.app.RegisterDevice(ctx, caller, app.DeviceCommand{Token: "phone-1", Platform: "android"}); err != nil {
		t.Fatal(err)
	}
	w.syncAll(t)
	if sent := fake.SentTo("phone-1"); len(sent) != 0 {
		t.Fatalf("the first pull pushed %d times", len(sent))
	}

	w.clock.advance(time.Minute)
	if _, err := w.sandbox.Add(id, []byte(`{"resourceType":"Observation","status":"final",
		"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
		"code":{"coding":[{"system":"http://loinc.org","code":"2345-7","display":"Glucose"}]},
		"subject":{"reference":"Patient/`+id+`"},"effectiveDateTime":"2026-12-03T08:00:00Z",
		"valueQuantity":{"value":5.4,"unit":"mmol/L"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.app.SyncExchangeLink(ctx, caller, l.ID); err != nil {
		t.Fatal(err)
	}
	w.syncAll(t)
	sent := fake.SentTo("phone-1")
	if len(sent) != 1 {
		t.Fatalf("a new result pushed %d times", len(sent))
	}
	data := sent[0].Message["data"].(map[string]any)
	if data["type"] != "record-updated" || data["linkId"] != l.ID {
		t.Fatalf("push data = %v", data)
	}
}
