package httpapi_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestBadInputGetsAClearProblemAndChangesNothing(t *testing.T) {
	s := newServer(t)
	cases := []struct {
		name        string
		body        any
		contentType string
		status      int
		slug        string
		mentions    string
		fields      []string
	}{
		{name: "malformed JSON", body: `{"as": `, status: 400, slug: "malformed-request", mentions: "ends in the middle"},
		{name: "not JSON at all", body: `as=amelia`, status: 400, slug: "malformed-request", mentions: "not valid JSON"},
		{name: "empty body", body: ``, status: 400, slug: "malformed-request", mentions: "empty"},
		{name: "unknown field", body: `{"as": "amelia", "isAdmin": true}`, status: 400, slug: "malformed-request", mentions: `"isAdmin"`},
		{name: "unknown nested field", body: `{"patient": {"subject": "a", "role": "admin"}}`, status: 400, slug: "malformed-request", mentions: `"role"`},
		{name: "wrong type", body: `{"as": 42}`, status: 400, slug: "malformed-request", mentions: `"as"`},
		{name: "two JSON values", body: `{"as": "amelia"} {"as": "oliver"}`, status: 400, slug: "malformed-request", mentions: "more than one"},
		{name: "array instead of object", body: `[]`, status: 400, slug: "malformed-request", mentions: "object"},
		{name: "form instead of JSON", body: `as=amelia`, contentType: "application/x-www-form-urlencoded", status: 415, slug: "unsupported-media-type"},
		{name: "neither a demo name nor a patient", body: `{}`, status: 422, slug: "invalid-input", fields: []string{"as"}},
		{name: "unknown demo name", body: `{"as": "nobody"}`, status: 422, slug: "invalid-input", fields: []string{"as"}},
		{name: "missing subject", body: `{"patient": {"nhsNumber": "9434765919"}}`, status: 422, slug: "invalid-input", fields: []string{"patient.subject"}},
		{name: "bad NHS number and bad date together", body: `{"patient": {"subject": "a", "nhsNumber": "9434765918", "dateOfBirth": "1987-13-45"}}`,
			status: 422, slug: "invalid-input", fields: []string{"patient.nhsNumber", "patient.birthDate"}},
		{name: "unknown identity level", body: `{"patient": {"subject": "a", "identityLevel": "P7"}}`, status: 422, slug: "invalid-input", fields: []string{"patient.identityLevel"}},
		{name: "token lifetime out of range", body: `{"as": "amelia", "expiresInSeconds": 5}`, status: 422, slug: "invalid-input", fields: []string{"expiresInSeconds"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			headers := []string{}
			if tc.contentType != "" {
				headers = append(headers, "Content-Type", tc.contentType)
			}
			p := wantProblem(t, s.do("POST", "/dev/tokens", "", tc.body, headers...), tc.status, tc.slug)
			if tc.mentions != "" && !strings.Contains(p["detail"].(string), tc.mentions) {
				t.Fatalf("detail %q does not mention %s", p["detail"], tc.mentions)
			}
			var named []string
			if errs, ok := p["errors"].([]any); ok {
				for _, e := range errs {
					named = append(named, e.(map[string]any)["field"].(string))
				}
			}
			if strings.Join(named, ",") != strings.Join(tc.fields, ",") {
				t.Fatalf("errors name %v, want %v", named, tc.fields)
			}
		})
	}
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	s := newServer(t)
	wantProblem(t, s.do("GET", "/v1/nothing-here", "", nil), 404, "not-found")
	wantProblem(t, s.do("DELETE", "/v1/me", "", nil), 405, "method-not-allowed")
}

func TestClientRequestIDsAreKeptOnlyWhenSafe(t *testing.T) {
	s := newServer(t)
	if got := s.do("GET", "/healthz", "", nil, "X-Request-ID", "app-7f3a9c21").header.Get("X-Request-ID"); got != "app-7f3a9c21" {
		t.Fatalf("safe client id replaced by %q", got)
	}
	got := s.do("GET", "/healthz", "", nil, "X-Request-ID", "x\nlevel=ERROR fake=line").header.Get("X-Request-ID")
	if strings.ContainsAny(got, "\n =") || got == "" {
		t.Fatalf("unsafe client id kept: %q", got)
	}
}

// The body limit is enforced by the HTTP server before Fiber routes, so this goes
// over a real socket. The server refuses on the declared length, before reading
// the body, and closes: a client still writing the body then races the close (a
// broken pipe on a busy machine), so this sends the headers alone, which is also
// the proof that nothing of the body is waited for.
func TestABodyOverTheLimitIsRefused(t *testing.T) {
	s := newServer(t, withSmallBodies)
	base := s.listen()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const head = "POST /dev/tokens HTTP/1.1\r\nHost: kith\r\nContent-Type: application/json\r\nContent-Length: 71680\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, body: raw}
	if r.status != 413 || !strings.HasPrefix(r.header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("status %d %q: %s", r.status, r.header.Get("Content-Type"), raw)
	}
	if p := r.json(t); p["type"] != "urn:kith:problem:payload-too-large" {
		t.Fatalf("problem %v", p)
	}
}
