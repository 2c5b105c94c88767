package app_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kith-health/kith/adapters/fcm"
	"github.com/kith-health/kith/adapters/fcm/fcmtest"
	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
)

// alertWorld is a patient with one phone, an app pushing through the real Firebase
// SDK to a fake FCM, and a function that makes someone else view the record.
type alertWorld struct {
	store   *sqlite.Store
	fake    *fcmtest.Fake
	patient patient.Patient
	self    identity.Principal
	view    func(t testing.TB) audit.Event
}

func newAlertWorld(t testing.TB, pusher func(app.Pusher) app.Pusher, settings app.AlertSettings) (*app.App, *alertWorld) {
	return newAlertWorldAt(t, time.Now, pusher, settings)
}

func newAlertWorldAt(t testing.TB, clock app.Clock, pusher func(app.Pusher) app.Pusher, settings app.AlertSettings) (*app.App, *alertWorld) {
	t.Helper()
	ctx := context.Background()
	store := newStore(t)
	fake := contractCheckedFCM(t)
	client, err := fcm.New(ctx, fcmtest.ServiceAccount(t, fake.URL+"/token"), "", fake.URL+"/v1")
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.New(store, clock, app.WithPush(pusher(client), settings))
	if err != nil {
		t.Fatal(err)
	}
	self := identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{Issuer: "https://idp.test", Subject: "alerted",
		NHSNumber: "9990000042", Proofing: patient.ProofingP9}}
	p, err := a.Me(ctx, self)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.RegisterDevice(ctx, self, app.DeviceCommand{Token: "fcm-token-1", Platform: "ios"}); err != nil {
		t.Fatal(err)
	}
	n := 0
	w := &alertWorld{store: store, fake: fake, patient: p, self: self, view: func(t testing.TB) audit.Event {
		n++
		e, err := a.RecordAccess(ctx, audit.Event{PatientID: p.ID, Action: "record.summary.read", Basis: "grant",
			Actor: audit.Actor{Kind: audit.ActorOrganisation, Organisation: "RR8", OrganisationName: "Leeds Teaching Hospitals NHS Trust",
				PractitionerID: "GMC-" + string(rune('0'+n%10)), PractitionerName: "Dr Patel"},
			Outcome: audit.OutcomeAllowed, Alert: audit.AlertPending})
		if err != nil {
			t.Fatal(err)
		}
		return e
	}}
	return a, w
}

// crashAfterSend is a dispatcher that dies between sending a push and recording
// it: the push goes out, then everything after it fails.
type crashAfterSend struct {
	app.Pusher
	cancel context.CancelFunc
}

func (c crashAfterSend) Push(ctx context.Context, m app.Message) error {
	err := c.Pusher.Push(ctx, m)
	c.cancel()
	return err
}

// A dispatcher that dies after sending but before recording leaves the alert
// claimed; when its lease lapses another sends it again. At least once: the phone
// may buzz twice, but the alert is never lost.
func TestADispatcherCrashBetweenSendAndRecordLosesNothing(t *testing.T) {
	settings := app.DefaultAlertSettings
	settings.Lease = 200 * time.Millisecond
	clock := &settable{time.Now()}
	crashCtx, crash := context.WithCancel(context.Background())
	crashing, w := newAlertWorldAt(t, clock.now, func(p app.Pusher) app.Pusher { return crashAfterSend{p, crash} }, settings)
	e := w.view(t)
	if _, err := crashing.DispatchAlerts(crashCtx, "node-that-dies"); err == nil {
		t.Fatal("the crashing dispatcher should fail to record the alert")
	}
	if got := len(w.fake.Sent()); got != 1 {
		t.Fatalf("%d pushes before the crash, want 1", got)
	}

	healthy, err := app.New(w.store, clock.now, app.WithPush(mustPusher(t, w.fake), settings))
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(settings.Lease - time.Millisecond)
	if n, err := healthy.DispatchAlerts(context.Background(), "node-2"); err != nil || n != 0 {
		t.Fatalf("within the lease another node must not take it: claimed %d, %v", n, err)
	}
	clock.t = clock.t.Add(2 * time.Millisecond)
	if n, err := healthy.DispatchAlerts(context.Background(), "node-2"); err != nil || n != 1 {
		t.Fatalf("after the lease: claimed %d, %v", n, err)
	}
	if got := len(w.fake.Sent()); got != 2 {
		t.Fatalf("%d pushes in all, want 2 (at least once)", got)
	}
	stored, err := w.store.AccessEvent(context.Background(), w.patient.ID, e.ID)
	if err != nil || stored.Alert != audit.AlertSent || stored.AlertAttempts != 2 {
		t.Fatalf("the event ends %q after %d attempts, %v", stored.Alert, stored.AlertAttempts, err)
	}
}

// contractCheckedFCM is a fake FCM that fails the test on any push breaking
// mobile-contract/push-payload.schema.json.
func contractCheckedFCM(t testing.TB) *fcmtest.Fake {
	t.Helper()
	fake := fcmtest.Start(t)
	schemaPath, _ := filepath.Abs(filepath.Join("..", "mobile-contract", "push-payload.schema.json"))
	schema, err := jsonschema.NewCompiler().Compile(schemaPath)
	if err != nil {
		t.Fatal(err)
	}
	fake.Check = func(m map[string]any) error {
		if err := schema.Validate(m); err != nil {
			t.Errorf("a push breaks the mobile contract: %v", err)
			return err
		}
		return nil
	}
	return fake
}

func mustPusher(t testing.TB, fake *fcmtest.Fake) app.Pusher {
	t.Helper()
	c, err := fcm.New(context.Background(), fcmtest.ServiceAccount(t, fake.URL+"/token"), "", fake.URL+"/v1")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A push that keeps failing is parked for an operator, never dropped silently.
func TestAnAlertThatKeepsFailingIsParked(t *testing.T) {
	settings := app.DefaultAlertSettings
	settings.Lease, settings.MaxAttempts, settings.RetryFor = 50*time.Millisecond, 2, 10*time.Millisecond
	clock := &settable{time.Now()}
	a, w := newAlertWorldAt(t, clock.now, func(p app.Pusher) app.Pusher { return p }, settings)
	for i := 0; i < 10; i++ {
		w.fake.Script("fcm-token-1", fcmtest.Reply{Status: 500, ErrorCode: "INTERNAL"})
	}
	e := w.view(t)
	for i := 0; i < 3; i++ {
		a.DispatchAlerts(context.Background(), "node")
		clock.t = clock.t.Add(settings.Lease + time.Millisecond)
	}
	parked, err := a.ParkedAlerts(context.Background(), identity.Principal{Kind: identity.KindOperator})
	if err != nil || len(parked) != 1 || parked[0].ID != e.ID {
		t.Fatalf("parked = %v, %v", parked, err)
	}
}

// BenchmarkAlertLatency measures from the access event being written to the fake
// FCM accepting the push, with the dispatcher polling every 10 ms, and reports
// p50 and p99.
func BenchmarkAlertLatency(b *testing.B) {
	settings := app.DefaultAlertSettings
	settings.Poll, settings.Window = 10*time.Millisecond, 0
	a, w := newAlertWorld(b, func(p app.Pusher) app.Pusher { return p }, settings)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	go a.RunAlertDispatcher(ctx, "bench", discardLog())
	var latencies []time.Duration
	for b.Loop() {
		before := len(w.fake.Sent())
		start := time.Now()
		w.view(b)
		for len(w.fake.Sent()) == before {
			time.Sleep(time.Millisecond)
		}
		latencies = append(latencies, w.fake.Sent()[before].At.Sub(start))
	}
	sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
	pct := func(p float64) float64 {
		return float64(latencies[int(p*float64(len(latencies)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

func discardLog() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// settable is a clock a test moves by hand.
type settable struct{ t time.Time }

func (c *settable) now() time.Time { return c.t }

func londonTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04", s, alert.London)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

func TestQuietHoursHoldRoutineAlertsButNotEmergencies(t *testing.T) {
	clock := &settable{londonTime(t, "2026-11-23 23:30")}
	a, w := newAlertWorldAt(t, clock.now, func(p app.Pusher) app.Pusher { return p }, app.DefaultAlertSettings)
	ctx := context.Background()
	yes, night := true, alert.QuietHours{Start: 22 * 60, End: 7 * 60}
	if _, err := a.ChangeSettings(ctx, w.self, app.SettingsChange{BreakGlassAllowed: &yes, QuietHours: &night}); err != nil {
		t.Fatal(err)
	}
	w.view(t)
	if _, err := a.DispatchAlerts(ctx, "node"); err != nil {
		t.Fatal(err)
	}
	if n := len(w.fake.Sent()); n != 0 {
		t.Fatalf("%d pushes at 23:30 inside quiet hours, want 0", n)
	}
	if _, err := a.RecordAccess(ctx, audit.Event{PatientID: w.patient.ID, Action: "break-glass.started", Basis: "break-glass",
		Actor:   audit.Actor{Kind: audit.ActorOrganisation, Organisation: "RR8", OrganisationName: "Leeds Teaching Hospitals NHS Trust"},
		Outcome: audit.OutcomeAllowed, Alert: audit.AlertPending}); err != nil {
		t.Fatal(err)
	}
	a.DispatchAlerts(ctx, "node")
	sent := w.fake.Sent()
	if len(sent) != 1 || sent[0].Message["notification"].(map[string]any)["title"] != "Emergency access to your record" {
		t.Fatalf("emergency access in quiet hours: %d pushes", len(sent))
	}
	clock.t = londonTime(t, "2026-11-24 06:59")
	a.DispatchAlerts(ctx, "node")
	if n := len(w.fake.Sent()); n != 1 {
		t.Fatalf("%d pushes before quiet hours end, want still 1", n)
	}
	clock.t = londonTime(t, "2026-11-24 07:00")
	a.DispatchAlerts(ctx, "node")
	if n := len(w.fake.Sent()); n != 2 {
		t.Fatalf("%d pushes once quiet hours ended, want 2", n)
	}
}

func TestADailyDigestIsOnePushAtSixInTheEvening(t *testing.T) {
	clock := &settable{londonTime(t, "2026-11-23 09:00")}
	a, w := newAlertWorldAt(t, clock.now, func(p app.Pusher) app.Pusher { return p }, app.DefaultAlertSettings)
	ctx := context.Background()
	yes, digest := true, patient.AlertDailyDigest
	if _, err := a.ChangeSettings(ctx, w.self, app.SettingsChange{BreakGlassAllowed: &yes, AlertMode: &digest}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // three practitioners over the day
		w.view(t)
		clock.t = clock.t.Add(2 * time.Hour)
		a.DispatchAlerts(ctx, "node")
	}
	if n := len(w.fake.Sent()); n != 0 {
		t.Fatalf("%d pushes before the digest, want 0", n)
	}
	clock.t = londonTime(t, "2026-11-23 18:00")
	a.DispatchAlerts(ctx, "node")
	sent := w.fake.Sent()
	if len(sent) != 1 {
		t.Fatalf("%d pushes at 18:00, want one digest", len(sent))
	}
	n := sent[0].Message["notification"].(map[string]any)
	if n["title"] != "Today's views of your record" || n["body"] != "3 people viewed 3 parts of your record today. Open the app to see who." {
		t.Fatalf("digest = %v", n)
	}
}

func TestAnInvalidTokenRemovesTheDeviceButABadRequestDoesNot(t *testing.T) {
	a, w := newAlertWorld(t, func(p app.Pusher) app.Pusher { return p }, app.DefaultAlertSettings)
	ctx := context.Background()
	if _, _, err := a.RegisterDevice(ctx, w.self, app.DeviceCommand{Token: "fcm-token-2", Platform: "android"}); err != nil {
		t.Fatal(err)
	}
	w.fake.Script("fcm-token-1", fcmtest.Reply{Status: 400, ErrorCode: "INVALID_ARGUMENT",
		Message: "The registration token is not a valid FCM registration token"})
	w.fake.Script("fcm-token-2", fcmtest.Reply{Status: 400, ErrorCode: "INVALID_ARGUMENT", Message: "Invalid value at 'message.data'"})
	w.view(t)
	a.DispatchAlerts(ctx, "node")
	devices, err := a.Devices(ctx, w.self)
	if err != nil || len(devices) != 1 || devices[0].Platform != "android" {
		t.Fatalf("devices after an invalid token and a bad request = %+v, %v; want only the second", devices, err)
	}
}

func TestFirstViewAlertsOncePerOrganisation(t *testing.T) {
	clock := &settable{time.Now()}
	a, w := newAlertWorldAt(t, clock.now, func(p app.Pusher) app.Pusher { return p }, app.DefaultAlertSettings)
	ctx := context.Background()
	yes, first := true, patient.AlertFirstView
	if _, err := a.ChangeSettings(ctx, w.self, app.SettingsChange{BreakGlassAllowed: &yes, AlertMode: &first}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ { // three practitioners of one organisation, days apart
		w.view(t)
		a.DispatchAlerts(ctx, "node")
		clock.t = clock.t.Add(72 * time.Hour)
	}
	if n := len(w.fake.Sent()); n != 1 {
		t.Fatalf("%d pushes for three views by one organisation, want 1", n)
	}
}
