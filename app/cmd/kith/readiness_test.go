package main

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/mongo/mongotest"
)

// The store going away turns /readyz to 503, and it comes back by itself: no restart.
func TestReadinessFollowsTheStore(t *testing.T) {
	uri, backend := mongotest.URI(t)
	t.Logf("store backend: %s", backend)
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	proxy := mongotest.NewProxy(t, u.Host)
	u.Host = proxy.Addr()

	k := newKith(t, map[string]string{
		"KITH_STORE": "mongodb", "KITH_MONGODB_URI": u.String(), "KITH_MONGODB_DATABASE": mongotest.Database(t),
		// Demo records over FerretDB take seconds and are beside the point here.
		"KITH_DEMO_DATA": "false",
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	base, done := k.serve(ctx)

	waitFor := func(want int) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			status, body := get(t, base+"/readyz", "")
			if status == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz stayed %d %s, want %d", status, body, want)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor(200)
	proxy.Cut()
	waitFor(503)
	proxy.Restore()
	waitFor(200)

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve returned %v", err)
	}
}
