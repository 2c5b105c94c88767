package sqlite_test

import (
	"context"
	"testing"

	"github.com/kith-health/kith/adapters/sqlite"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/storetest"
)

func TestConformance(t *testing.T) {
	t.Log("store backend: SQLite (modernc.org/sqlite, WAL) in a temporary directory")
	storetest.Run(t, func(t *testing.T) app.Store {
		s, err := sqlite.Open(context.Background(), t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s
	})
}
