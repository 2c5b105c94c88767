package httpapi_test

import (
	"context"
	"strings"
	"testing"
)

func TestHealthAndReadiness(t *testing.T) {
	s := newServer(t)
	if res := s.do("GET", "/healthz", "", nil); res.status != 200 || res.json(t)["status"] != "ok" {
		t.Fatalf("/healthz = %d %s", res.status, res.body)
	}
	if res := s.do("GET", "/readyz", "", nil); res.status != 200 {
		t.Fatalf("/readyz = %d %s", res.status, res.body)
	}
	s.store.Close(context.Background())
	res := s.do("GET", "/readyz", "", nil)
	wantProblem(t, res, 503, "unavailable")
	if res.header.Get("Retry-After") == "" {
		t.Fatal("503 without Retry-After")
	}
}

func TestMetricsUseRouteTemplatesAndLogsCarryNoPersonalData(t *testing.T) {
	s := newServer(t)
	tok := s.token("alice", nil)
	s.do("GET", "/v1/me", tok, nil)
	s.do("GET", "/v1/me", "expired-or-garbage", nil)
	s.do("GET", "/v1/9434765919/unknown", "", nil)

	metrics := string(s.do("GET", "/metrics", "", nil).body)
	for _, want := range []string{
		`kith_http_requests_total{method="GET",route="/v1/me",status="200"} 1`,
		`kith_http_requests_total{method="GET",route="/v1/me",status="401"} 1`,
		`kith_http_requests_total{method="GET",route="unmatched",status="404"} 1`,
		`kith_http_request_duration_seconds_bucket{method="POST",route="/dev/tokens"`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(metrics, "9434765919") {
		t.Error("/metrics carries a raw path with an NHS number")
	}

	logs := s.logs.String()
	if !strings.Contains(logs, `"request_id"`) || !strings.Contains(logs, `"route":"/v1/me"`) {
		t.Fatalf("access log lines lack request id or route:\n%s", logs)
	}
	for _, secret := range []string{"9434765919", "1987-06-05", tok, strings.Split(tok, ".")[2]} {
		if strings.Contains(logs, secret) {
			t.Fatalf("logs contain personal data or a token (%.12s...):\n%s", secret, logs)
		}
	}
}

func TestTheSpecIsServed(t *testing.T) {
	s := newServer(t)
	res := s.do("GET", "/openapi.yaml", "", nil)
	if res.status != 200 || !strings.Contains(string(res.body), "openapi: 3.0") {
		t.Fatalf("/openapi.yaml = %d", res.status)
	}
}

func TestWithoutTheDevelopmentIssuerItsRouteIsNotFound(t *testing.T) {
	s := newServer(t, inProduction)
	wantProblem(t, s.do("POST", "/dev/tokens", "", map[string]any{"as": "amelia"}), 404, "not-found")
	wantProblem(t, s.do("GET", "/dev/principals", "", nil), 404, "not-found")
}

func TestResponsesAreCompressedForClientsThatAsk(t *testing.T) {
	s := newServer(t)
	res := s.do("GET", "/openapi.yaml", "", nil, "Accept-Encoding", "gzip")
	if res.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q, want gzip", res.header.Get("Content-Encoding"))
	}
}

func TestProbesDoNotFloodTheLog(t *testing.T) {
	s := newServer(t, atInfo)
	for range 5 {
		s.do("GET", "/healthz", "", nil)
		s.do("GET", "/readyz", "", nil)
	}
	s.do("GET", "/v1/me", "", nil)
	if n := strings.Count(s.logs.String(), `"msg":"request"`); n != 1 {
		t.Fatalf("%d request lines at info, want 1 (the /v1/me call):\n%s", n, s.logs.String())
	}
}
