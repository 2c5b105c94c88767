package mongo_test

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/mongo/mongotest"
	"github.com/kith-health/kith/domain/fault"
)

// throughProxy points uri at a proxy in front of its one host. directConnection keeps
// a replica set member from handing the driver addresses that bypass the proxy.
func throughProxy(t *testing.T, uri string) (string, *mongotest.Proxy) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil {
		t.Fatal(err)
	}
	if u.Scheme != "mongodb" || strings.Contains(u.Host, ",") {
		t.Skipf("the outage test needs a single-host mongodb:// URI to put a proxy in front of; %s has %s://%d hosts",
			mongotest.EnvURI, u.Scheme, strings.Count(u.Host, ",")+1)
	}
	p := mongotest.NewProxy(t, u.Host)
	u.Host = p.Addr()
	q := u.Query()
	q.Set("directConnection", "true")
	u.RawQuery = q.Encode()
	return u.String(), p
}

func TestOutage(t *testing.T) {
	t.Parallel()
	uri, backend := mongotest.URI(t)
	t.Logf("store backend: %s", backend)
	proxied, proxy := throughProxy(t, uri)
	s := open(t, proxied)
	if _, err := s.Migrate(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping while up: %v", err)
	}

	proxy.Cut()

	t.Run("ping answers ErrUnavailable within its deadline", func(t *testing.T) {
		c, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		err := s.Ping(c)
		if !errors.Is(err, fault.ErrUnavailable) {
			t.Fatalf("Ping while down = %v, want ErrUnavailable", err)
		}
		if took := time.Since(start); took > 3*time.Second {
			t.Fatalf("Ping while down took %s", took)
		}
		t.Logf("gave up after %s: %v", time.Since(start).Round(100*time.Millisecond), err)
	})

	t.Run("a read answers ErrUnavailable, not ErrNotFound, within the server selection timeout", func(t *testing.T) {
		// No deadline of the caller's to lean on: the store's own timeout must end it.
		start := time.Now()
		_, err := s.Patient(context.Background(), "no-such-patient")
		if !errors.Is(err, fault.ErrUnavailable) || errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Patient while down = %v, want ErrUnavailable", err)
		}
		if took := time.Since(start); took > 10*time.Second {
			t.Fatalf("Patient while down took %s", took)
		}
		t.Logf("gave up after %s: %v", time.Since(start).Round(100*time.Millisecond), err)
	})

	proxy.Restore()

	t.Run("after the database is back, the same store answers again", func(t *testing.T) {
		c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		if err := s.Ping(c); err != nil {
			t.Fatalf("Ping after restore: %v", err)
		}
		t.Logf("recovered in %s", time.Since(start).Round(10*time.Millisecond))
		if _, err := s.Patient(c, "no-such-patient"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Patient after restore = %v, want ErrNotFound", err)
		}
	})
}
