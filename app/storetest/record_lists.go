package storetest

import (
	"encoding/base64"
	"errors"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// day is a date in January 2025, at a time of day that is not midnight.
func day(n int) time.Time { return time.Date(2025, 1, n, 9, 30, 0, 0, time.UTC) }

// listed writes entries for a list test and returns the live ones as lists give them.
func listed(t *testing.T, s app.Store, patientID string, specs []listSpec) []record.Entry {
	t.Helper()
	c := ctx(t)
	var live []record.Entry
	for _, sp := range specs {
		e := newEntry(patientID, sp.id, sp.date)
		e.Category, e.ResourceType = sp.category, sp.resourceType
		stored, err := s.PutEntry(c, e, 0)
		if err != nil {
			t.Fatalf("PutEntry(%s): %v", sp.id, err)
		}
		if sp.tombstone {
			stored.Deleted = true
			if _, err := s.PutEntry(c, stored, stored.Revision); err != nil {
				t.Fatalf("PutEntry(%s tombstone): %v", sp.id, err)
			}
			continue
		}
		live = append(live, head(stored))
	}
	return live
}

type listSpec struct {
	id           string
	category     record.Category
	resourceType string
	date         time.Time
	tombstone    bool
}

// newestFirst orders entries as EntryHeads must: by date descending, then id descending.
func newestFirst(entries []record.Entry) []record.Entry {
	out := append([]record.Entry(nil), entries...)
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Display.Date.Equal(out[j].Display.Date) {
			return out[i].Display.Date.After(out[j].Display.Date)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

func ids(entries []record.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.ID
	}
	return out
}

// allPages reads every page of q and checks each holds at most q.Limit entries.
func allPages(t *testing.T, s app.Store, patientID string, q app.EntryQuery) ([]record.Entry, int) {
	t.Helper()
	var all []record.Entry
	for pages := 1; ; pages++ {
		page, next, err := s.EntryHeads(ctx(t), patientID, q)
		if err != nil {
			t.Fatalf("EntryHeads(page %d): %v", pages, err)
		}
		if len(page) > q.Limit {
			t.Fatalf("page %d holds %d entries, limit %d", pages, len(page), q.Limit)
		}
		all = append(all, page...)
		if next == "" {
			return all, pages
		}
		if pages > 100 {
			t.Fatalf("EntryHeads never stops paging")
		}
		q.Cursor = next
	}
}

func sameList(t *testing.T, what string, got, want []record.Entry) {
	t.Helper()
	if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
		t.Fatalf("%s = %v\nwant %v", what, ids(got), ids(want))
	}
	for i := range got {
		sameEntry(t, what+" entry "+got[i].ID, got[i], want[i])
	}
}

func testRecordLists(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	live := newestFirst(listed(t, s, "patient-l", []listSpec{
		{"l01", record.Results, "Observation", day(1), false},
		{"l02", record.Results, "Observation", day(2), false},
		{"l03", record.Conditions, "Condition", day(2), false},
		{"l04", record.Conditions, "Condition", day(2), false},
		{"l05", record.Medications, "MedicationStatement", day(3), false},
		{"l06", record.Results, "DiagnosticReport", day(4), false},
		{"l07", record.Allergies, "AllergyIntolerance", day(5), false},
		{"l08", record.Results, "Observation", day(6), false},
		{"l09", record.Vitals, "Observation", day(6), false},
		{"l10", record.Immunizations, "Immunization", day(7), false},
		{"l11", record.Results, "Observation", time.Time{}, false}, // undated: the oldest
		{"l12", record.Documents, "DocumentReference", day(8).Add(123 * time.Microsecond), false},
		{"l13", record.Results, "Observation", day(9), true},
	}))
	theirs := listed(t, s, "patient-m", []listSpec{{"m01", record.Results, "Observation", day(5), false}})

	t.Run("lists hold the live entries newest first, id breaking ties, without resources", func(t *testing.T) {
		got, next, err := s.EntryHeads(c, "patient-l", app.EntryQuery{Limit: 100})
		if err != nil || next != "" {
			t.Fatalf("EntryHeads = cursor %q, %v", next, err)
		}
		sameList(t, "EntryHeads", got, live)
		if other, _, err := s.EntryHeads(c, "patient-m", app.EntryQuery{Limit: 100}); err != nil {
			t.Fatal(err)
		} else {
			sameList(t, "EntryHeads(another patient)", other, theirs)
		}
		if none, next, err := s.EntryHeads(c, "patient-n", app.EntryQuery{Limit: 100}); err != nil || len(none) != 0 || next != "" {
			t.Fatalf("EntryHeads(no record) = %v, %q, %v; want nothing", ids(none), next, err)
		}
	})

	t.Run("filters combine; since is inclusive and until exclusive", func(t *testing.T) {
		for name, q := range map[string]app.EntryQuery{
			"category":                  {Category: record.Results},
			"resource type":             {ResourceType: "Observation"},
			"category and type":         {Category: record.Results, ResourceType: "Observation"},
			"since":                     {Since: day(2)},
			"until":                     {Until: day(2)},
			"since and until":           {Since: day(2), Until: day(6)},
			"since an entry's own date": {Since: day(8)},
			"until an entry's own date": {Until: day(8)},
			"category, since, until":    {Category: record.Results, Since: day(2), Until: day(9)},
			"type, since, until":        {ResourceType: "Observation", Since: day(1), Until: day(7)},
			"nothing in range":          {Since: day(20)},
			"a category with no entry":  {Category: record.CarePlans},
		} {
			t.Run(name, func(t *testing.T) {
				var want []record.Entry
				for _, e := range live {
					d := e.Display.Date
					if (q.Category == "" || e.Category == q.Category) && (q.ResourceType == "" || e.ResourceType == q.ResourceType) &&
						(q.Since.IsZero() || !d.Before(q.Since)) && (q.Until.IsZero() || d.Before(q.Until)) {
						want = append(want, e)
					}
				}
				q.Limit = 100
				got, _, err := s.EntryHeads(c, "patient-l", q)
				if err != nil {
					t.Fatal(err)
				}
				sameList(t, "EntryHeads("+name+")", got, want)
			})
		}
	})

	t.Run("pages visit every entry once, entries sharing a date included", func(t *testing.T) {
		for _, limit := range []int{1, 2, 3, 5, len(live), 100} {
			got, pages := allPages(t, s, "patient-l", app.EntryQuery{Limit: limit})
			sameList(t, fmt.Sprintf("pages of %d", limit), got, live)
			if want := (len(live) + limit - 1) / limit; pages != want {
				t.Fatalf("pages of %d: %d pages, want %d (the last full page must say there are no more)", limit, pages, want)
			}
		}
		got, _ := allPages(t, s, "patient-l", app.EntryQuery{Category: record.Conditions, Since: day(2), Limit: 1})
		if fmt.Sprint(ids(got)) != "[l04 l03]" {
			t.Fatalf("filtered pages = %v, want [l04 l03]", ids(got))
		}
	})

	t.Run("a cursor the store did not issue is ErrInvalid", func(t *testing.T) {
		for _, cursor := range []string{
			"not a cursor!",
			base64.RawURLEncoding.EncodeToString([]byte("not a cursor")),
			base64.RawURLEncoding.EncodeToString([]byte("1735725000000 ")),
			base64.StdEncoding.EncodeToString([]byte("\xff\xfe garbage")),
		} {
			if _, _, err := s.EntryHeads(c, "patient-l", app.EntryQuery{Cursor: cursor, Limit: 10}); !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("EntryHeads(cursor %q) = %v, want ErrInvalid", cursor, err)
			}
		}
	})

	t.Run("a page of fewer than one entry is ErrInvalid", func(t *testing.T) {
		if _, _, err := s.EntryHeads(c, "patient-l", app.EntryQuery{}); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("EntryHeads(limit 0) = %v, want ErrInvalid", err)
		}
	})
}

func testRecordExport(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	// More entries than a store reads in one batch (100 in both stores), a few of them
	// tombstones, written out of id order.
	const n = 150
	want := map[string]record.Entry{}
	for i := n - 1; i >= 0; i-- {
		id := fmt.Sprintf("e%03d", i)
		stored, err := s.PutEntry(c, newEntry("patient-e", id, day(1+i%28)), 0)
		if err != nil {
			t.Fatalf("PutEntry(%s): %v", id, err)
		}
		if i%50 == 10 {
			stored.Deleted = true
			if _, err := s.PutEntry(c, stored, stored.Revision); err != nil {
				t.Fatalf("PutEntry(%s tombstone): %v", id, err)
			}
			continue
		}
		want[id] = stored
	}
	if _, err := s.PutEntry(c, newEntry("patient-f", "f001", day(1)), 0); err != nil {
		t.Fatal(err)
	}

	t.Run("every live entry once, in id order, with its exact resource", func(t *testing.T) {
		var got []string
		err := s.EachEntryForDisclosure(c, "patient-e", func(e record.Entry) error {
			w, ok := want[e.ID]
			if !ok {
				return fmt.Errorf("visited %s (%s), which is not a live entry of the record", e.ID, e.PatientID)
			}
			sameEntry(t, "entry "+e.ID, e, w)
			got = append(got, e.ID)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) || !sort.StringsAreSorted(got) {
			t.Fatalf("visited %d entries (in id order: %v), want each of %d once", len(got), sort.StringsAreSorted(got), len(want))
		}
		for i := 1; i < len(got); i++ {
			if got[i] == got[i-1] {
				t.Fatalf("visited %s twice", got[i])
			}
		}
	})

	t.Run("fn's error stops the walk and is returned", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := s.EachEntryForDisclosure(c, "patient-e", func(record.Entry) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		if !errors.Is(err, stop) || calls != 3 {
			t.Fatalf("EachEntryForDisclosure = %v after %d calls, want stop after 3", err, calls)
		}
	})

	t.Run("a patient without a record has nothing to walk", func(t *testing.T) {
		err := s.EachEntryForDisclosure(c, "patient-g", func(e record.Entry) error {
			return fmt.Errorf("visited %s", e.ID)
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}
