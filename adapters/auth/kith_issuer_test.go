package auth_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/auth"
	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/domain/identity"
)

func keyIDs(t *testing.T, k *auth.KithIssuer) []string {
	t.Helper()
	var ids []string
	for i := 0; i < k.Keys().Len(); i++ {
		key, _ := k.Keys().Key(i)
		id, _ := key.KeyID()
		ids = append(ids, id)
	}
	return ids
}

func TestNodesStartingTogetherMakeOneSigningKeyAndRotateOnce(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(ctx)
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clock := time.Now()
	var mu sync.Mutex
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	cfg := auth.KithIssuerConfig{Issuer: "https://kith.test", Audience: "https://kith.test", TokenTTL: 5 * time.Minute,
		RotateAfter: 30 * 24 * time.Hour, ReloadEvery: time.Minute, Now: now}

	nodes := make([]*auth.KithIssuer, 4)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k, err := auth.NewKithIssuer(ctx, store, cfg)
			if err != nil {
				t.Errorf("NewKithIssuer: %v", err)
				return
			}
			nodes[i] = k
		}()
	}
	wg.Wait()
	first := keyIDs(t, nodes[0])
	for i, n := range nodes {
		if got := keyIDs(t, n); len(got) != 1 || got[0] != first[0] {
			t.Fatalf("node %d publishes %v, node 0 %v: the nodes did not agree on one key", i, got, first)
		}
	}

	// A month on, every node finds the key due at once: exactly one new key is made,
	// and the old one stays published for tokens it signed.
	mu.Lock()
	clock = clock.Add(31 * 24 * time.Hour)
	mu.Unlock()
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, _, err := n.SignOrganisationToken(ctx, "RR8", identity.Practitioner{ID: "1", Name: "A", Role: "B"}); err != nil {
				t.Errorf("node %d signing: %v", i, err)
			}
		}()
	}
	wg.Wait()
	ring, err := store.Keyring(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ring.Version != 2 || len(ring.Keys) != 2 || ring.Keys[1].ID != first[0] {
		t.Fatalf("after rotation the keyring is version %d with %d keys", ring.Version, len(ring.Keys))
	}
	for i, n := range nodes {
		if got := keyIDs(t, n); len(got) != 2 || got[0] != ring.Keys[0].ID {
			t.Fatalf("node %d publishes %v, want the new key first", i, got)
		}
	}
}
