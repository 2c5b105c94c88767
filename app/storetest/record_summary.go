package storetest

import (
	"errors"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

func newSummary(patientID string) record.Summary {
	return record.Summary{
		PatientID: patientID,
		Counts:    map[record.Category]int{record.Results: 2, record.Allergies: 1},
		Latest: map[record.Category][]record.SummaryItem{
			record.Results: {
				{EntryID: "s-1", ResourceType: "Observation", Display: record.Display{Text: "Haemoglobin", Status: "final", Date: at}, Sensitive: true,
					Source: "gp-a", UpdatedAt: at.Add(time.Minute)},
				{EntryID: "s-2", ResourceType: "DiagnosticReport", Display: record.Display{Text: "Full blood count", Date: at.Add(-time.Hour)}},
			},
			record.Allergies: {
				{EntryID: "s-3", ResourceType: "AllergyIntolerance", Display: record.Display{Text: "Penicillin", Status: "active"}},
			},
		},
		// Source names are free text: dots and dollars must not trouble a store.
		LastSync: map[string]time.Time{"gp-a": at, record.PatientSource: at.Add(time.Minute), "https://lab.example/fhir": at.Add(-time.Hour), "$odd": at},
	}
}

// summaryAsStored is s as a store gives it back: times in UTC milliseconds, at rev.
func summaryAsStored(s record.Summary, rev int64) record.Summary {
	out := record.Summary{PatientID: s.PatientID, Counts: s.Counts, Revision: rev}
	if s.Latest != nil {
		out.Latest = map[record.Category][]record.SummaryItem{}
		for c, items := range s.Latest {
			copied := append([]record.SummaryItem(nil), items...)
			for i := range copied {
				copied[i].Display.Date = utcMilli(copied[i].Display.Date)
				copied[i].UpdatedAt = utcMilli(copied[i].UpdatedAt)
			}
			out.Latest[c] = copied
		}
	}
	if s.LastSync != nil {
		out.LastSync = map[string]time.Time{}
		for source, t := range s.LastSync {
			out.LastSync[source] = utcMilli(t)
		}
	}
	return out
}

func sameSummary(t *testing.T, what string, got, want record.Summary) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s = %+v\nwant %+v", what, got, want)
	}
}

func testSummaries(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("a patient without a summary gets the empty one at revision 0", func(t *testing.T) {
		got, err := s.Summary(c, "patient-s")
		if err != nil {
			t.Fatal(err)
		}
		if got.PatientID != "patient-s" || got.Revision != 0 || len(got.Counts)+len(got.Latest)+len(got.LastSync) != 0 {
			t.Fatalf("Summary(none) = %+v, want the empty one", got)
		}
	})

	sum := newSummary("patient-s")
	first, err := s.SaveSummary(c, sum)
	if err != nil {
		t.Fatalf("SaveSummary(first): %v", err)
	}

	t.Run("the first save is revision 1 and reads back exactly, in UTC milliseconds", func(t *testing.T) {
		sameSummary(t, "SaveSummary(first)", first, summaryAsStored(sum, 1))
		got, err := s.Summary(c, "patient-s")
		if err != nil {
			t.Fatal(err)
		}
		sameSummary(t, "Summary", got, first)
		if d := got.Latest[record.Results][0].Display.Date; d.Location() != time.UTC || d.Nanosecond()%1e6 != 0 {
			t.Fatalf("item date %v is not UTC milliseconds", d)
		}
	})

	t.Run("a second first save is ErrConflict and changes nothing", func(t *testing.T) {
		rival := newSummary("patient-s")
		rival.Counts = map[record.Category]int{record.Vitals: 9}
		if _, err := s.SaveSummary(c, rival); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("SaveSummary(revision 0 again) = %v, want ErrConflict", err)
		}
		got, _ := s.Summary(c, "patient-s")
		sameSummary(t, "Summary after the losing save", got, first)
	})

	t.Run("a save at the stored revision bumps it; a stale one is ErrConflict", func(t *testing.T) {
		next := newSummary("patient-s")
		next.Revision = first.Revision
		next.Counts[record.Results] = 3
		next.LastSync["gp-a"] = at.Add(time.Hour)
		delete(next.Latest, record.Allergies)
		second, err := s.SaveSummary(c, next)
		if err != nil {
			t.Fatalf("SaveSummary(update): %v", err)
		}
		sameSummary(t, "SaveSummary(update)", second, summaryAsStored(next, 2))
		got, _ := s.Summary(c, "patient-s")
		sameSummary(t, "Summary after the update", got, second)

		if _, err := s.SaveSummary(c, next); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("SaveSummary(stale revision) = %v, want ErrConflict", err)
		}
		if got, _ := s.Summary(c, "patient-s"); !reflect.DeepEqual(got, second) {
			t.Fatalf("the stale save changed the summary: %+v", got)
		}
		if other, err := s.Summary(c, "patient-t"); err != nil || other.Revision != 0 || len(other.Counts) != 0 {
			t.Fatalf("another patient's summary = %+v, %v; want the empty one", other, err)
		}
	})

	t.Run("of four concurrent first saves exactly one wins", func(t *testing.T) {
		const racers = 4
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < racers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := s.SaveSummary(c, newSummary("patient-race"))
				switch {
				case err == nil:
					wins.Add(1)
				case !errors.Is(err, fault.ErrConflict):
					t.Errorf("SaveSummary: %v", err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("%d of %d concurrent first saves won, want 1", wins.Load(), racers)
		}
	})
}
