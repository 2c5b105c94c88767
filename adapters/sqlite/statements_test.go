package sqlite

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/kith-health/kith/domain/fault"
)

// Once the cache of prepared statements is full, reads still run, unprepared.
func TestReadsRunWhenTheStatementCacheIsFull(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range maxCachedStatements {
		if s.reads.prepared(ctx, fmt.Sprintf("SELECT %d", i)) == nil {
			t.Fatalf("statement %d was not cached", i)
		}
	}
	if st := s.reads.prepared(ctx, "SELECT 'one too many'"); st != nil {
		t.Fatal("the cache grew past its bound")
	}
	if _, err := s.LastAccessEvent(ctx, "nobody"); !errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("LastAccessEvent with a full cache = %v, want ErrNotFound", err)
	}
}

// A read that arrives while the store closes gets an error, not a crash.
func TestAReadAfterCloseIsAnError(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close(ctx)
	if _, err := s.LastAccessEvent(ctx, "nobody"); err == nil || errors.Is(err, fault.ErrNotFound) {
		t.Fatalf("LastAccessEvent after Close = %v, want an error", err)
	}
}
