package httpapi_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kith-health/kith/adapters/fcm/fcmtest"
	"github.com/kith-health/kith/domain/alert"
)

// pushPayload is the mobile contract's schema of every push.
func pushPayload(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path, _ := filepath.Abs(filepath.Join("..", "..", "mobile-contract", "push-payload.schema.json"))
	s, err := jsonschema.NewCompiler().Compile(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// withFCM sends alerts through the real Firebase SDK to a fake FCM that checks
// every message against the mobile contract's schema and FCM's 4 KB limit.
func withFCM(t *testing.T) (*fcmtest.Fake, option) {
	fake := fcmtest.Start(t)
	schema := pushPayload(t)
	fake.Check = func(m map[string]any) error {
		raw, _ := json.Marshal(m)
		if len(raw) > 4096 {
			return fmt.Errorf("message of %d bytes, over FCM's 4 KB", len(raw))
		}
		var v any
		json.Unmarshal(raw, &v)
		if err := schema.Validate(v); err != nil {
			t.Errorf("a push breaks the mobile contract: %v\n%s", err, raw)
			return err
		}
		return nil
	}
	creds := filepath.Join(t.TempDir(), "fcm.json")
	if err := os.WriteFile(creds, fcmtest.ServiceAccount(t, fake.URL+"/token"), 0o600); err != nil {
		t.Fatal(err)
	}
	return fake, func(env map[string]string, _ *syncBuffer) *slog.Logger {
		env["KITH_DEV_PUSH_INBOX"] = "false"
		env["KITH_FCM_CREDENTIALS_FILE"] = creds
		env["KITH_FCM_ENDPOINT"] = fake.URL + "/v1"
		env["KITH_ALERT_POLL_INTERVAL"] = "20ms"
		return nil
	}
}

func (s *testServer) registerDevice(t *testing.T, token, fcmToken string) string {
	t.Helper()
	res := s.do("POST", "/v1/me/devices", token, map[string]any{"token": fcmToken, "platform": "android", "appVersion": "1.4.0", "locale": "en-GB"})
	if res.status != 201 {
		t.Fatalf("register device = %d %s", res.status, res.body)
	}
	return res.json(t)["id"].(string)
}

// waitForPushes waits up to limit for at least n pushes to the tokens, then a
// little longer to catch any extra, and returns them.
func waitForPushes(t *testing.T, fake *fcmtest.Fake, n int, limit time.Duration, tokens ...string) []fcmtest.Sent {
	t.Helper()
	sent := func() []fcmtest.Sent {
		var out []fcmtest.Sent
		for _, token := range tokens {
			out = append(out, fake.SentTo(token)...)
		}
		return out
	}
	deadline := time.Now().Add(limit)
	for len(sent()) < n && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond)
	return sent()
}

func TestAShareCodeViewBuzzesEachDeviceOnceWithinTwoSeconds(t *testing.T) {
	fake, fcm := withFCM(t)
	s := newServer(t, fcm)
	w := newAccessWorld(t, s)
	waitForPushes(t, fake, 0, 0) // the world's own views settle
	phone, tablet := "fcm-token-phone", "fcm-token-tablet"
	s.registerDevice(t, w.amelia, phone)
	s.registerDevice(t, w.amelia, tablet)
	if again := s.do("POST", "/v1/me/devices", w.amelia, map[string]any{"token": phone, "platform": "android"}); again.status != 200 {
		t.Fatalf("re-registering a token = %d, want 200", again.status)
	}

	code, _ := w.share(t, s, map[string]any{"categories": []string{"allergies"}, "label": "For the A&E registrar"})
	start := time.Now()
	viewer := s.redeem(t, code, 200)["access_token"].(string)
	s.do("GET", "/v1/shared/record/summary", viewer, nil)
	sent := waitForPushes(t, fake, 2, 2*time.Second, phone, tablet)
	if len(sent) != 2 {
		t.Fatalf("%d pushes, want exactly one to each of 2 devices", len(sent))
	}
	tokens := map[string]bool{}
	for _, p := range sent {
		if p.At.Sub(start) > 2*time.Second {
			t.Errorf("a push took %v", p.At.Sub(start))
		}
		tokens[p.Message["token"].(string)] = true
		raw, _ := json.Marshal(p.Message)
		body := p.Message["notification"].(map[string]any)["body"].(string)
		for _, secret := range []string{"Amelia", "Hughes", ameliaNHS, "allerg"} {
			if strings.Contains(string(raw), secret) {
				t.Errorf("a push carries %q: %s", secret, raw)
			}
		}
		if !strings.Contains(body, "Dr Sam Okafor") || !strings.Contains(body, "share code") {
			t.Errorf("the push should say who viewed and how: %q", body)
		}
	}
	if !tokens[phone] || !tokens[tablet] {
		t.Fatalf("pushed to %v", tokens)
	}
}

func TestTwentyViewsInAMinuteAreOneAlert(t *testing.T) {
	fake, fcm := withFCM(t)
	s := newServer(t, fcm)
	w := newAccessWorld(t, s)
	waitForPushes(t, fake, 0, 0)
	s.registerDevice(t, w.amelia, "fcm-token-phone")
	for i := 0; i < 20; i++ {
		if res := s.do("GET", orgPath(ameliaNHS, "/summary"), w.leeds, nil); res.status != 200 {
			t.Fatalf("read %d = %d", i, res.status)
		}
		time.Sleep(15 * time.Millisecond)
	}
	sent := waitForPushes(t, fake, 1, 2*time.Second, "fcm-token-phone")
	if len(sent) != 1 {
		t.Fatalf("twenty views by one practitioner made %d pushes, want 1", len(sent))
	}
	if body := sent[0].Message["notification"].(map[string]any)["body"].(string); !strings.HasPrefix(body, "Dr Sam Patel at Leeds Teaching Hospitals NHS Trust") {
		t.Errorf("body = %q", body)
	}
	// Every one of the twenty is accounted for: one sent, the rest folded into it.
	pending := 0
	for _, e := range s.accessLog(t, w.amelia) {
		if e.Actor.Organisation == "RR8" && (e.Alert == "pending" || e.Alert == "claimed") {
			pending++
		}
	}
	if pending != 0 {
		t.Errorf("%d alerts still pending", pending)
	}
}

func TestAnUnregisteredTokenRemovesTheDeviceAndA503IsRetried(t *testing.T) {
	fake, fcm := withFCM(t)
	s := newServer(t, fcm)
	w := newAccessWorld(t, s)
	waitForPushes(t, fake, 0, 0)
	fake.Script("fcm-token-gone", fcmtest.Reply{Status: 404, ErrorCode: "UNREGISTERED"})
	fake.Script("fcm-token-flaky", fcmtest.Reply{Status: 503, ErrorCode: "UNAVAILABLE", RetryAfter: "1"})
	s.registerDevice(t, w.amelia, "fcm-token-gone")
	s.registerDevice(t, w.amelia, "fcm-token-flaky")

	s.do("GET", orgPath(ameliaNHS, "/summary"), w.leeds, nil)
	sent := waitForPushes(t, fake, 1, 8*time.Second, "fcm-token-flaky", "fcm-token-gone")
	if len(sent) != 1 || sent[0].Message["token"] != "fcm-token-flaky" {
		t.Fatalf("pushes after a 503 = %d, want the flaky device's once", len(sent))
	}
	if gone, flaky := fake.Requests("fcm-token-gone"), fake.Requests("fcm-token-flaky"); gone != 1 || flaky != 2 {
		t.Errorf("requests: %d to the unregistered device (want 1), %d to the flaky one (want 2: the 503, the retry)", gone, flaky)
	}
	devices := s.do("GET", "/v1/me/devices", w.amelia, nil).json(t)["devices"].([]any)
	for _, d := range devices {
		if d.(map[string]any)["id"] == alertDeviceID(w, "fcm-token-gone") {
			t.Fatal("the unregistered device is still there")
		}
	}
	if len(devices) != 2 {
		t.Fatalf("%d devices after UNREGISTERED, want 2 (the world's and the flaky one)", len(devices))
	}
}

func TestTheDevelopmentInboxShowsWhatWouldHaveBeenSent(t *testing.T) {
	s := newServer(t, withEnv("KITH_ALERT_POLL_INTERVAL", "20ms"))
	w := newAccessWorld(t, s)
	s.registerDevice(t, w.amelia, "fcm-token-dev")
	s.do("GET", orgPath(ameliaNHS, "/summary"), w.leeds, nil)
	schema := pushPayload(t)
	deadline := time.Now().Add(2 * time.Second)
	for time.Now().Before(deadline) {
		items := s.do("GET", "/dev/push-inbox", "", nil).json(t)["items"].([]any)
		for _, it := range items {
			m := it.(map[string]any)["message"].(map[string]any)
			if m["token"] != "fcm-token-dev" {
				continue
			}
			if err := schema.Validate(m); err != nil {
				t.Fatalf("the inbox's message breaks the contract: %v", err)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("nothing reached the development inbox")
}

func alertDeviceID(w *accessWorld, token string) string { return alert.DeviceID(w.ameliaID, token) }
