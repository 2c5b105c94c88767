package app_test

import (
	"context"
	"testing"

	"github.com/kith-health/kith/adapters/sqlite"
)

// newStore is a fresh, migrated SQLite store in the test's temporary directory,
// closed when the test ends: the real store behind the app's tests.
func newStore(t testing.TB) *sqlite.Store {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(ctx) })
	if _, err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return store
}
