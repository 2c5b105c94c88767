package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/keyring"
)

// keep is how long a retired key stays in the keyring in these tests.
const keep = 24 * time.Hour

// newKey is a key whose private JWK has the spacing and escapes a re-encoding store
// would change.
func newKey(id string) keyring.Key {
	return keyring.Key{ID: id, PrivateJWK: []byte(fmt.Sprintf(
		"{\"kty\":\"EC\", \"crv\":\"P-256\", \"kid\":%q,\n \"d\":\"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI\", \"note\":\"\\u00e9\"}\n", id))}
}

func testKeyring(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	if _, err := s.Keyring(c); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("Keyring before any save = %v, want ErrNotFound", err)
	}

	first, err := s.SaveKeyring(c, keyring.Keyring{}.Rotate(newKey("k1"), at, keep))
	if err != nil {
		t.Fatalf("SaveKeyring(first): %v", err)
	}
	if first.Version != 1 {
		t.Fatalf("the first save stored version %d, want 1", first.Version)
	}

	t.Run("read back equals what the save returned", func(t *testing.T) {
		got, err := s.Keyring(c)
		if err != nil || !reflect.DeepEqual(got, first) {
			t.Fatalf("Keyring = %+v, %v\nwant %+v", got, err, first)
		}
	})

	t.Run("a second first save is ErrConflict and changes nothing", func(t *testing.T) {
		_, err := s.SaveKeyring(c, keyring.Keyring{}.Rotate(newKey("rival"), at, keep))
		if !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("SaveKeyring(version 0 again) = %v, want ErrConflict", err)
		}
		if got, _ := s.Keyring(c); !reflect.DeepEqual(got, first) {
			t.Fatalf("the losing save changed the keyring: %+v", got)
		}
	})

	t.Run("a save at the stored version bumps it; keys come back in order, exactly", func(t *testing.T) {
		second, err := s.SaveKeyring(c, first.Rotate(newKey("k2"), at.Add(time.Hour), keep))
		if err != nil {
			t.Fatalf("SaveKeyring(rotate): %v", err)
		}
		if second.Version != first.Version+1 {
			t.Fatalf("SaveKeyring returned version %d, want %d", second.Version, first.Version+1)
		}
		got, err := s.Keyring(c)
		if err != nil || !reflect.DeepEqual(got, second) {
			t.Fatalf("Keyring = %+v, %v\nwant %+v", got, err, second)
		}
		if len(got.Keys) != 2 || got.Keys[0].ID != "k2" || got.Keys[1].ID != "k1" {
			t.Fatalf("keys %+v, want k2 then k1", got.Keys)
		}
		for _, k := range got.Keys {
			if want := newKey(k.ID).PrivateJWK; string(k.PrivateJWK) != string(want) {
				t.Fatalf("key %s came back as %q, want %q", k.ID, k.PrivateJWK, want)
			}
			if k.CreatedAt.Location() != time.UTC || k.CreatedAt.Nanosecond()%1e6 != 0 {
				t.Fatalf("key %s CreatedAt %v is not UTC milliseconds", k.ID, k.CreatedAt)
			}
		}
		if !got.Keys[0].CreatedAt.Equal(at.Add(time.Hour).Truncate(time.Millisecond)) {
			t.Fatalf("key k2 CreatedAt %v, want %v", got.Keys[0].CreatedAt, at.Add(time.Hour))
		}

		if _, err := s.SaveKeyring(c, first.Rotate(newKey("stale"), at.Add(time.Hour), keep)); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("SaveKeyring(stale version) = %v, want ErrConflict", err)
		}
		if after, _ := s.Keyring(c); !reflect.DeepEqual(after, second) {
			t.Fatalf("the stale save changed the keyring: %+v", after)
		}
	})
}

func testKeyringRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	const nodes = 4

	// race has nodes rotate the keyring they all read as from at once, and checks that
	// exactly one saved and that its key is the one stored.
	race := func(t *testing.T, from keyring.Keyring, when time.Time) {
		var (
			mu      sync.Mutex
			winners []string
			wg      sync.WaitGroup
		)
		for i := 0; i < nodes; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				id := fmt.Sprintf("v%d-node%d", from.Version+1, i)
				_, err := s.SaveKeyring(c, from.Rotate(newKey(id), when, keep))
				switch {
				case err == nil:
					mu.Lock()
					winners = append(winners, id)
					mu.Unlock()
				case !errors.Is(err, fault.ErrConflict):
					t.Errorf("SaveKeyring: %v", err)
				}
			}()
		}
		wg.Wait()
		if len(winners) != 1 {
			t.Fatalf("%d of %d nodes rotating at once saved (%v), want exactly 1", len(winners), nodes, winners)
		}
		got, err := s.Keyring(c)
		if err != nil {
			t.Fatal(err)
		}
		if active, _ := got.Active(); active.ID != winners[0] || got.Version != from.Version+1 {
			t.Fatalf("stored keyring is version %d with active key %s; want version %d with the winner's %s",
				got.Version, active.ID, from.Version+1, winners[0])
		}
	}

	t.Run("of nodes making the first key at once exactly one wins", func(t *testing.T) {
		race(t, keyring.Keyring{}, at)
	})
	t.Run("of nodes rotating from the same read exactly one wins", func(t *testing.T) {
		current, err := s.Keyring(c)
		if err != nil {
			t.Fatal(err)
		}
		race(t, current, at.Add(time.Hour))
	})
}
