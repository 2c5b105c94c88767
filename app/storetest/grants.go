package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

func newGrant(t *testing.T, patientID, key string, created time.Time) access.Grant {
	t.Helper()
	g, err := access.NewGrant(access.GrantRequest{
		ID: app.NewID(), PatientID: patientID, Organisation: "RR8", IdempotencyKey: key,
		Categories: []record.Category{record.Allergies, record.Medications}, IncludeSensitive: true,
		End: created.Add(90 * 24 * time.Hour),
	}, created)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func testGrants(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	first := newGrant(t, "patient-g", "key-1", at)
	stored, created, err := s.CreateGrant(c, first)
	if err != nil || !created {
		t.Fatalf("CreateGrant = %v, created %v", err, created)
	}

	t.Run("read back equals what was written, in UTC milliseconds", func(t *testing.T) {
		got, err := s.Grant(c, "patient-g", first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, stored) || !reflect.DeepEqual(got, first) {
			t.Fatalf("Grant = %+v\nwant %+v", got, first)
		}
		if got.Start.Location() != time.UTC || got.Start.Nanosecond()%1e6 != 0 {
			t.Fatalf("Start %v is not UTC milliseconds", got.Start)
		}
	})

	t.Run("a retried create with the same key finds the first and writes nothing", func(t *testing.T) {
		retry := newGrant(t, "patient-g", "key-1", at.Add(time.Minute))
		got, created, err := s.CreateGrant(c, retry)
		if err != nil || created || got.ID != first.ID {
			t.Fatalf("CreateGrant(retry) = %s, created %v, %v; want the first grant", got.ID, created, err)
		}
		if all, _ := s.Grants(c, "patient-g"); len(all) != 1 {
			t.Fatalf("%d grants after a retry, want 1", len(all))
		}
	})

	t.Run("the same key of another patient is another grant", func(t *testing.T) {
		other := newGrant(t, "patient-h", "key-1", at)
		if _, created, err := s.CreateGrant(c, other); err != nil || !created {
			t.Fatalf("CreateGrant(other patient) = created %v, %v", created, err)
		}
	})

	t.Run("grants without keys never collide", func(t *testing.T) {
		for i := 0; i < 2; i++ {
			if _, created, err := s.CreateGrant(c, newGrant(t, "patient-k", "", at.Add(time.Duration(i)*time.Hour))); err != nil || !created {
				t.Fatalf("CreateGrant(no key) = created %v, %v", created, err)
			}
		}
		if all, _ := s.Grants(c, "patient-k"); len(all) != 2 || !all[0].CreatedAt.After(all[1].CreatedAt) {
			t.Fatalf("Grants = %+v, want two, newest first", all)
		}
	})

	t.Run("a taken id is ErrConflict", func(t *testing.T) {
		dup := newGrant(t, "patient-g", "key-2", at)
		dup.ID = first.ID
		if _, _, err := s.CreateGrant(c, dup); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("CreateGrant(taken id) = %v, want ErrConflict", err)
		}
	})

	t.Run("another patient's grant is not found", func(t *testing.T) {
		if _, err := s.Grant(c, "patient-h", first.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Grant(other patient) = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateGrant(c, "patient-h", first.ID, func(*access.Grant) error { return nil }); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("UpdateGrant(other patient) = %v, want ErrNotFound", err)
		}
		if all, err := s.Grants(c, "patient-nobody"); err != nil || len(all) != 0 {
			t.Fatalf("Grants(nobody) = %v, %v", all, err)
		}
	})

	t.Run("a revocation is seen by the next read", func(t *testing.T) {
		revoked, err := s.UpdateGrant(c, "patient-g", first.ID, func(g *access.Grant) error {
			g.Revoke("patient-g", at.Add(time.Hour))
			return nil
		})
		if err != nil || revoked.Version != 2 {
			t.Fatalf("UpdateGrant = v%d, %v", revoked.Version, err)
		}
		all, err := s.Grants(c, "patient-g")
		if err != nil || len(all) != 1 || all[0].StatusAt(at.Add(time.Hour)) != access.StatusRevoked || all[0].RevokedBy != "patient-g" {
			t.Fatalf("Grants after revoke = %+v, %v", all, err)
		}
	})

	t.Run("an update's error writes nothing", func(t *testing.T) {
		boom := errors.New("boom")
		if _, err := s.UpdateGrant(c, "patient-g", first.ID, func(g *access.Grant) error { g.Reason = "x"; return boom }); !errors.Is(err, boom) {
			t.Fatalf("UpdateGrant = %v, want boom", err)
		}
		if got, _ := s.Grant(c, "patient-g", first.ID); got.Reason != "" || got.Version != 2 {
			t.Fatalf("grant changed: %+v", got)
		}
	})

	t.Run("break-glass keeps its reason and practitioner", func(t *testing.T) {
		g, err := access.NewBreakGlass(access.BreakGlassRequest{ID: app.NewID(), PatientID: "patient-g", Organisation: "RR8",
			Practitioner: "GMC-7654321", Reason: "unconscious in resus"}, at)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CreateGrant(c, g); err != nil {
			t.Fatal(err)
		}
		got, err := s.Grant(c, "patient-g", g.ID)
		if err != nil || !reflect.DeepEqual(got, g) {
			t.Fatalf("Grant(break-glass) = %+v, %v\nwant %+v", got, err, g)
		}
	})
}

func testGrantRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("of twenty retries of one create exactly one creates", func(t *testing.T) {
		var mu sync.Mutex
		ids := map[string]int{}
		created := 0
		var wg sync.WaitGroup
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				g, ok, err := s.CreateGrant(c, newGrant(t, "patient-r", "same-key", at))
				if err != nil {
					t.Errorf("CreateGrant: %v", err)
					return
				}
				mu.Lock()
				defer mu.Unlock()
				ids[g.ID]++
				if ok {
					created++
				}
			}()
		}
		wg.Wait()
		if created != 1 || len(ids) != 1 {
			t.Fatalf("%d created, %d distinct grants returned; want 1 and 1", created, len(ids))
		}
	})

	t.Run("of twenty revokers of one version exactly one wins", func(t *testing.T) {
		g := newGrant(t, "patient-r", "", at)
		if _, _, err := s.CreateGrant(c, g); err != nil {
			t.Fatal(err)
		}
		exactlyOneWins(t, 20, "revoke", func(i int) error {
			_, err := s.UpdateGrant(c, "patient-r", g.ID, func(cur *access.Grant) error {
				if cur.Version != 1 {
					return fmt.Errorf("already revoked: %w", fault.ErrConflict)
				}
				cur.Revoke(fmt.Sprintf("revoker-%d", i), at.Add(time.Minute))
				return nil
			})
			return err
		})
	})
}
