package sqlite_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/kith-health/kith/adapters/sqlite"
)

func TestMigrationsApplyOnceEvenFromTwoProcesses(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	a, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(ctx)
	b, err := sqlite.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)

	if err := a.CheckSchema(ctx); err == nil || !strings.Contains(err.Error(), "run `kith migrate`") {
		t.Fatalf("CheckSchema before migrating = %v", err)
	}
	var wg sync.WaitGroup
	for _, s := range []*sqlite.Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := s.Migrate(ctx); err != nil {
				t.Errorf("Migrate: %v", err)
			}
		}()
	}
	wg.Wait()
	if err := a.CheckSchema(ctx); err != nil {
		t.Fatalf("CheckSchema after migrating: %v", err)
	}
	applied, err := b.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("Migrate again applied %v, %v; want nothing", applied, err)
	}
}
