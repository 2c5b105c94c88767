package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

func testAssertions(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	live := at.Add(5 * time.Minute)

	t.Run("a second use of one assertion is ErrConflict; another client's jti is its own", func(t *testing.T) {
		if err := s.UseAssertion(c, "client-a", "jti-1", live); err != nil {
			t.Fatalf("UseAssertion: %v", err)
		}
		if err := s.UseAssertion(c, "client-a", "jti-1", live); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("UseAssertion(replay) = %v, want ErrConflict", err)
		}
		if err := s.UseAssertion(c, "client-b", "jti-1", live); err != nil {
			t.Fatalf("UseAssertion(same jti, another client): %v", err)
		}
	})

	t.Run("purge removes only what expired before the time, and a purged jti can be used again", func(t *testing.T) {
		for jti, exp := range map[string]time.Time{
			"old-1": at.Add(-time.Hour),
			"old-2": at.Add(-time.Second),
			"edge":  at, // expires at the time, not before it
			"fresh": at.Add(time.Hour),
		} {
			if err := s.UseAssertion(c, "client-p", jti, exp); err != nil {
				t.Fatalf("UseAssertion(%s): %v", jti, err)
			}
		}
		n, err := s.PurgeAssertions(c, at)
		if err != nil || n != 2 {
			t.Fatalf("PurgeAssertions = %d, %v; want 2 removed", n, err)
		}
		for _, kept := range []struct{ client, jti string }{
			{"client-p", "edge"}, {"client-p", "fresh"}, {"client-a", "jti-1"}, {"client-b", "jti-1"},
		} {
			if err := s.UseAssertion(c, kept.client, kept.jti, live); !errors.Is(err, fault.ErrConflict) {
				t.Fatalf("UseAssertion(%s, %s) after the purge = %v, want ErrConflict: it was purged", kept.client, kept.jti, err)
			}
		}
		if err := s.UseAssertion(c, "client-p", "old-1", live); err != nil {
			t.Fatalf("UseAssertion(purged jti): %v", err)
		}
		if n, err := s.PurgeAssertions(c, at); err != nil || n != 0 {
			t.Fatalf("PurgeAssertions again = %d, %v; want 0 removed", n, err)
		}
	})
}

func testAssertionRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	const racers = 20
	exactlyOneWins(t, racers, "UseAssertion", func(int) error { return s.UseAssertion(c, "client-r", "jti-r", at.Add(time.Minute)) })
}
