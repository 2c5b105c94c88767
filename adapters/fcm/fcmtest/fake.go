// Package fcmtest is a local fake of the FCM HTTP v1 API and of Google's OAuth2
// token endpoint, so the real Firebase Admin SDK can be tested without the
// internet. It listens on 127.0.0.1 only.
package fcmtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sent is one message the fake accepted.
type Sent struct {
	At      time.Time
	Message map[string]any // the "message" object of the request
}

// Reply is how the fake answers one send: a status and, for errors, the FCM
// error code (UNREGISTERED, UNAVAILABLE...).
type Reply struct {
	Status     int
	ErrorCode  string
	RetryAfter string
	Message    string // the error's message; "scripted failure" when empty
}

// Fake is a running fake FCM.
type Fake struct {
	URL string
	mu  sync.Mutex
	// script holds, per device token, the replies to give before accepting.
	script map[string][]Reply
	sent   []Sent
	seen   map[string]int
	// Check, when set, is called with each request's message (to validate it).
	Check func(message map[string]any) error
}

// Start runs a fake until the test ends.
func Start(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{script: map[string][]Reply{}, seen: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"access_token":"fake-access-token","token_type":"Bearer","expires_in":3600}`)
	})
	mux.HandleFunc("POST /v1/projects/{project}/messages:send", f.send)
	srv := httptest.NewServer(mux) // 127.0.0.1
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// Script makes the fake answer the next sends to token with replies, in order.
func (f *Fake) Script(token string, replies ...Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.script[token] = append(f.script[token], replies...)
}

// Sent lists the messages accepted, oldest first.
func (f *Fake) Sent() []Sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Sent(nil), f.sent...)
}

// Requests is how many sends for token reached the fake, accepted or not.
func (f *Fake) Requests(token string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.seen[token]
}

// SentTo lists the messages accepted for token, oldest first.
func (f *Fake) SentTo(token string) []Sent {
	var out []Sent
	for _, s := range f.Sent() {
		if s.Message["token"] == token {
			out = append(out, s)
		}
	}
	return out
}

func (f *Fake) send(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Message map[string]any `json:"message"`
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer fake-access-token") || json.NewDecoder(r.Body).Decode(&body) != nil {
		http.Error(w, `{"error":{"code":401,"status":"UNAUTHENTICATED"}}`, http.StatusUnauthorized)
		return
	}
	token, _ := body.Message["token"].(string)
	f.mu.Lock()
	f.seen[token]++
	var reply *Reply
	if queue := f.script[token]; len(queue) > 0 {
		reply, f.script[token] = &queue[0], queue[1:]
	}
	check := f.Check
	f.mu.Unlock()
	if check != nil {
		if err := check(body.Message); err != nil {
			writeError(w, Reply{Status: 400, ErrorCode: "INVALID_ARGUMENT"}, err.Error())
			return
		}
	}
	if reply != nil && reply.Status != 200 {
		message := reply.Message
		if message == "" {
			message = "scripted failure"
		}
		writeError(w, *reply, message)
		return
	}
	f.mu.Lock()
	f.sent = append(f.sent, Sent{At: time.Now(), Message: body.Message})
	n := len(f.sent)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"name": "projects/kith-test/messages/" + time.Now().Format("150405.000000") + "-" + string(rune('a'+n%26))})
}

func writeError(w http.ResponseWriter, r Reply, message string) {
	status := map[int]string{400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}[r.Status]
	body := map[string]any{"error": map[string]any{
		"code": r.Status, "status": status, "message": message,
		"details": []map[string]string{{"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": r.ErrorCode}},
	}}
	if r.RetryAfter != "" {
		w.Header().Set("Retry-After", r.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(r.Status)
	json.NewEncoder(w).Encode(body)
}

// ServiceAccount is a service account JSON whose token_uri is tokenURI, with a
// fresh RSA key, as the SDK needs to sign its token request.
func ServiceAccount(t testing.TB, tokenURI string) []byte {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "kith-test", "private_key_id": "test-key",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "kith@kith-test.iam.gserviceaccount.com", "client_id": "1",
		"token_uri": tokenURI,
	})
	return raw
}
