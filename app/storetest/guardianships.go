package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/record"
)

func newGuardianship(t *testing.T, childID, guardianID string, created time.Time) guardianship.Guardianship {
	t.Helper()
	g, err := guardianship.New(guardianship.Request{
		ID: app.NewID(), ChildID: childID, GuardianID: guardianID,
		Relationship: guardianship.Parent, LegalBasis: guardianship.ParentalResponsibility,
		Evidence:      guardianship.Evidence{Kind: guardianship.BirthCertificate, Reference: "BC 123456"},
		EstablishedBy: guardianship.Establisher{Kind: "organisation", ID: "practitioner-1", Organisation: "Y0001", Name: "Health visiting team"},
		End:           created.Add(365 * 24 * time.Hour),
		Access:        []record.Category{record.Immunizations},
	}, created)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func testGuardianships(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	first := newGuardianship(t, "child-a", "guardian-a", at)
	first.Restrict(guardianship.Establisher{Kind: "operator", ID: "op-1"}, "court order", at)
	if err := s.CreateGuardianship(c, first); err != nil {
		t.Fatalf("CreateGuardianship = %v", err)
	}
	second := newGuardianship(t, "child-a", "guardian-b", at.Add(time.Hour))
	third := newGuardianship(t, "child-b", "guardian-a", at.Add(2*time.Hour))
	for _, g := range []guardianship.Guardianship{second, third} {
		if err := s.CreateGuardianship(c, g); err != nil {
			t.Fatalf("CreateGuardianship = %v", err)
		}
	}

	t.Run("read back equals what was written, in UTC milliseconds", func(t *testing.T) {
		got, err := s.Guardianship(c, "child-a", first.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, first) {
			t.Fatalf("Guardianship = %+v\nwant %+v", got, first)
		}
		if got.Start.Location() != time.UTC || got.Restriction.At.Nanosecond()%1e6 != 0 {
			t.Fatalf("Start %v is not UTC milliseconds", got.Start)
		}
	})

	t.Run("an id taken is a conflict", func(t *testing.T) {
		again := newGuardianship(t, "child-a", "guardian-c", at)
		again.ID = first.ID
		if err := s.CreateGuardianship(c, again); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("CreateGuardianship(taken id) = %v, want ErrConflict", err)
		}
	})

	t.Run("another child's id reads as none", func(t *testing.T) {
		if _, err := s.Guardianship(c, "child-b", first.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("Guardianship(other child) = %v, want ErrNotFound", err)
		}
		if _, err := s.UpdateGuardianship(c, "child-b", first.ID, func(*guardianship.Guardianship) error { return nil }); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("UpdateGuardianship(other child) = %v, want ErrNotFound", err)
		}
	})

	t.Run("lists are by child and by guardian, oldest first", func(t *testing.T) {
		ofChild, err := s.GuardianshipsOfChild(c, "child-a")
		if err != nil || len(ofChild) != 2 || ofChild[0].ID != first.ID || ofChild[1].ID != second.ID {
			t.Fatalf("GuardianshipsOfChild = %+v, %v", ofChild, err)
		}
		ofGuardian, err := s.GuardianshipsOfGuardian(c, "guardian-a")
		if err != nil || len(ofGuardian) != 2 || ofGuardian[0].ID != first.ID || ofGuardian[1].ID != third.ID {
			t.Fatalf("GuardianshipsOfGuardian = %+v, %v", ofGuardian, err)
		}
		if none, err := s.GuardianshipsOfChild(c, "child-z"); err != nil || len(none) != 0 {
			t.Fatalf("GuardianshipsOfChild(none) = %+v, %v", none, err)
		}
	})

	t.Run("an update is stored, the version counts, and the guardian may be re-pointed", func(t *testing.T) {
		got, err := s.UpdateGuardianship(c, "child-a", second.ID, func(g *guardianship.Guardianship) error {
			g.GuardianID = "guardian-c"
			g.SuspendByChild(at.Add(3 * time.Hour))
			return nil
		})
		if err != nil || got.Version != second.Version+1 || got.Status != guardianship.Suspended {
			t.Fatalf("UpdateGuardianship = %+v, %v", got, err)
		}
		read, _ := s.Guardianship(c, "child-a", second.ID)
		if !reflect.DeepEqual(read, got) {
			t.Fatalf("read after update = %+v\nwant %+v", read, got)
		}
		if moved, _ := s.GuardianshipsOfGuardian(c, "guardian-c"); len(moved) != 1 || moved[0].ID != second.ID {
			t.Fatalf("GuardianshipsOfGuardian(re-pointed) = %+v", moved)
		}
		if left, _ := s.GuardianshipsOfGuardian(c, "guardian-b"); len(left) != 0 {
			t.Fatalf("the old guardian still lists %+v", left)
		}
	})

	t.Run("an update's error writes nothing", func(t *testing.T) {
		refused := errors.New("refused")
		if _, err := s.UpdateGuardianship(c, "child-a", first.ID, func(g *guardianship.Guardianship) error {
			g.Lift(at)
			return refused
		}); !errors.Is(err, refused) {
			t.Fatalf("UpdateGuardianship = %v, want the update's error", err)
		}
		if g, _ := s.Guardianship(c, "child-a", first.ID); g.Restriction == nil || g.Version != first.Version {
			t.Fatalf("a refused update was stored: %+v", g)
		}
	})

	t.Run("concurrent updates lose none", func(t *testing.T) {
		const writers = 8
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.UpdateGuardianship(c, "child-b", third.ID, func(g *guardianship.Guardianship) error {
					g.ChildGranted = append(g.ChildGranted, record.Category(fmt.Sprintf("c%d", i)))
					return nil
				}); err != nil {
					t.Errorf("UpdateGuardianship: %v", err)
				}
			}()
		}
		wg.Wait()
		g, _ := s.Guardianship(c, "child-b", third.ID)
		if len(g.ChildGranted) != writers || g.Version != third.Version+writers {
			t.Fatalf("after %d updates: %d categories, version %d", writers, len(g.ChildGranted), g.Version)
		}
	})
}

func testScreens(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("a child never screened reads as the zero screen", func(t *testing.T) {
		got, err := s.Screen(c, "child-s")
		if err != nil || got.ChildID != "child-s" || got.Version != 0 || got.Hides("any") {
			t.Fatalf("Screen = %+v, %v", got, err)
		}
	})

	t.Run("the first update creates it and later ones replace it", func(t *testing.T) {
		made, err := s.UpdateScreen(c, "child-s", func(sc *guardianship.Screen) error {
			sc.Hide([]record.Category{record.Conditions}, []string{"entry-1"}, at)
			return nil
		})
		if err != nil || made.Version != 1 {
			t.Fatalf("UpdateScreen(first) = %+v, %v", made, err)
		}
		if read, _ := s.Screen(c, "child-s"); !reflect.DeepEqual(read, made) {
			t.Fatalf("Screen = %+v\nwant %+v", read, made)
		}
		next, err := s.UpdateScreen(c, "child-s", func(sc *guardianship.Screen) error {
			sc.MarkSafeguarding([]string{"entry-2"}, at.Add(time.Hour))
			sc.Unhide(nil, []string{"entry-1"}, at.Add(time.Hour))
			return nil
		})
		if err != nil || next.Version != 2 || !next.Hides("entry-2") || next.Hides("entry-1") || !next.HidesCategory(record.Conditions) {
			t.Fatalf("UpdateScreen(second) = %+v, %v", next, err)
		}
		if other, _ := s.Screen(c, "child-t"); other.Version != 0 {
			t.Fatalf("another child's screen = %+v", other)
		}
	})

	t.Run("concurrent first updates lose none", func(t *testing.T) {
		const writers = 8
		var wg sync.WaitGroup
		for i := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := s.UpdateScreen(c, "child-r", func(sc *guardianship.Screen) error {
					sc.MarkSafeguarding([]string{fmt.Sprintf("entry-%d", i)}, at)
					return nil
				}); err != nil {
					t.Errorf("UpdateScreen: %v", err)
				}
			}()
		}
		wg.Wait()
		got, _ := s.Screen(c, "child-r")
		if len(got.Safeguarding) != writers || got.Version != writers {
			t.Fatalf("after %d updates: %+v", writers, got)
		}
	})
}
