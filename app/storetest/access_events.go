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

// appendChain appends n events for one patient, returning them oldest first, and
// checks the store sealed each after the one before.
func appendChain(t *testing.T, s app.Store, patientID string, n int) []audit.Event {
	t.Helper()
	var out []audit.Event
	var prev *audit.Event
	for i := 0; i < n; i++ {
		e := event(patientID, i)
		got, err := s.AppendAccessEvent(ctx(t), e)
		if err != nil {
			t.Fatalf("AppendAccessEvent #%d: %v", i, err)
		}
		if want := e.Seal(prev); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("AppendAccessEvent #%d = %+v\nwant it sealed after the one before: %+v", i, got, want)
		}
		out = append(out, got)
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

	t.Run("an id already in the log is ErrConflict and the chain stays as it was", func(t *testing.T) {
		again := event("patient-a", 9)
		again.ID = mine[2].ID
		if _, err := s.AppendAccessEvent(c, again); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("AppendAccessEvent(taken id) = %v, want ErrConflict", err)
		}
		last, err := s.LastAccessEvent(c, "patient-a")
		if err != nil || last.ID != mine[4].ID {
			t.Fatalf("LastAccessEvent = %v, %v; want the fifth event still newest", last.ID, err)
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
	// Several patients at once, as under load: one patient's events never land in
	// another's chain, and each chain stays linear.
	const writers = 10
	patients := []string{"patient-r", "patient-s", "patient-t"}
	var wg sync.WaitGroup
	for i := 0; i < writers; i++ {
		for _, p := range patients {
			wg.Add(1)
			go func(p string, i int) {
				defer wg.Done()
				e := event(p, i)
				e.ID = ""
				if _, err := a.RecordAccess(c, e); err != nil {
					t.Errorf("RecordAccess: %v", err)
				}
			}(p, i)
		}
	}
	wg.Wait()
	for _, p := range patients {
		events, _, err := s.AccessEvents(c, p, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != writers {
			t.Fatalf("%s: %d events recorded by %d concurrent writers", p, len(events), writers)
		}
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
		for _, e := range events {
			if e.PatientID != p {
				t.Fatalf("%s's chain holds an event of %s", p, e.PatientID)
			}
		}
		if broken := audit.VerifyChain(events); broken != -1 {
			t.Fatalf("%s: concurrently written chain breaks at %d", p, broken)
		}
	}
}
