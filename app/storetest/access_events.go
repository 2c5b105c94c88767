package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
)

func event(patientID string, i int) audit.Event {
	return audit.Event{
		ID: app.NewID(), PatientID: patientID, At: at.Add(time.Duration(i) * time.Second),
		Actor: audit.Actor{
			Kind: audit.ActorOrganisation, ID: "client-1", Organisation: "RR8",
			OrganisationName: "Leeds Teaching Hospitals NHS Trust",
			PractitionerID:   "G1234567", PractitionerName: "Dr A Example", PractitionerRole: "registrar",
		},
		Action: "record.read", Basis: "grant", Categories: []string{"allergies", "medications"},
		Route: "/v1/org/patients/{nhsNumber}/record/entries", Query: "category=allergies&limit=50",
		EntryID: "entry-1", GrantIDs: []string{"grant-1", "grant-2"}, Reason: "in resus", Label: "For the A&E registrar",
		Outcome: "allowed", Alert: audit.AlertPending,
	}
}

// appendChain seals and appends n events for one patient, returning them oldest first.
func appendChain(t *testing.T, s app.Store, patientID string, n int) []audit.Event {
	t.Helper()
	var out []audit.Event
	var prev *audit.Event
	for i := 0; i < n; i++ {
		e := event(patientID, i).Seal(prev)
		if err := s.AppendAccessEvent(ctx(t), e); err != nil {
			t.Fatalf("AppendAccessEvent #%d: %v", i, err)
		}
		out = append(out, e)
		prev = &out[len(out)-1]
	}
	return out
}

func testAccessEvents(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	mine := appendChain(t, s, "patient-a", 5)
	theirs := appendChain(t, s, "patient-b", 2)

	t.Run("last event is the newest, read back exactly", func(t *testing.T) {
		got, err := s.LastAccessEvent(c, "patient-a")
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(mine[4]) || got.At.Location() != time.UTC {
			t.Fatalf("LastAccessEvent = %+v\nwant %+v", got, mine[4])
		}
	})

	t.Run("a patient with no events is ErrNotFound", func(t *testing.T) {
		if _, err := s.LastAccessEvent(c, "patient-c"); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("LastAccessEvent = %v, want ErrNotFound", err)
		}
	})

	t.Run("pages run newest first, hold only the patient's events and the chain verifies", func(t *testing.T) {
		var all []audit.Event
		before := int64(0)
		pages := 0
		for {
			page, next, err := s.AccessEvents(c, "patient-a", before, 2)
			if err != nil {
				t.Fatal(err)
			}
			all = append(all, page...)
			pages++
			if next == 0 {
				break
			}
			before = next
		}
		if len(all) != len(mine) || pages != 3 {
			t.Fatalf("%d events in %d pages, want %d in 3", len(all), pages, len(mine))
		}
		for i, e := range all {
			if e.PatientID != "patient-a" {
				t.Fatalf("another patient's event in the list: %+v", e)
			}
			if fmt.Sprint(e) != fmt.Sprint(mine[len(mine)-1-i]) {
				t.Fatalf("event %d = %+v\nwant %+v", i, e, mine[len(mine)-1-i])
			}
		}
		oldestFirst := make([]audit.Event, len(all))
		for i, e := range all {
			oldestFirst[len(all)-1-i] = e
		}
		if broken := audit.VerifyChain(oldestFirst); broken != -1 {
			t.Fatalf("chain read back breaks at %d", broken)
		}
		if other, _, _ := s.AccessEvents(c, "patient-b", 0, 10); len(other) != len(theirs) {
			t.Fatalf("patient-b has %d events, want %d", len(other), len(theirs))
		}
	})

	t.Run("a page of fewer than one event is ErrInvalid", func(t *testing.T) {
		if _, _, err := s.AccessEvents(c, "patient-a", 0, 0); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("AccessEvents(limit 0) = %v, want ErrInvalid", err)
		}
	})

	t.Run("a second event at the same place in the chain is ErrConflict", func(t *testing.T) {
		rival := event("patient-a", 9).Seal(&mine[3])
		if err := s.AppendAccessEvent(c, rival); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("AppendAccessEvent(taken seq) = %v, want ErrConflict", err)
		}
	})
}

func testAccessEventRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	a, err := app.New(s, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	const writers = 10
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			e := event("patient-r", i)
			e.ID = ""
			if _, err := a.RecordAccess(c, e); err != nil {
				t.Errorf("RecordAccess: %v", err)
			}
		}(i)
	}
	wg.Wait()
	events, _, err := s.AccessEvents(c, "patient-r", 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != writers {
		t.Fatalf("%d events recorded by %d concurrent writers", len(events), writers)
	}
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	if broken := audit.VerifyChain(events); broken != -1 {
		t.Fatalf("concurrently written chain breaks at %d", broken)
	}
}
