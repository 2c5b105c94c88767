package storetest

import (
	"cmp"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/record"
)

// tallySpec is one entry written for the tally tests.
type tallySpec struct {
	id        string
	category  record.Category
	section   record.Section
	current   bool
	sensitive bool
	source    string
	updated   time.Time
	tombstone bool
}

func testTally(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	specs := []tallySpec{
		{id: "t-1", category: record.Allergies, section: record.SectionAllergies, current: true, source: "gp-a", updated: day(3)},
		{id: "t-2", category: record.Allergies, section: record.SectionAllergies, current: true, source: "gp-a", updated: day(1)},
		{id: "t-3", category: record.Allergies, section: record.SectionAllergies, current: false, source: "gp-a", updated: day(2)},
		{id: "t-4", category: record.Conditions, section: record.SectionProblems, current: true, sensitive: true, source: "$odd.source", updated: day(5)},
		{id: "t-5", category: record.Conditions, section: record.SectionProblems, current: false, source: record.PatientSource, updated: day(4)},
		{id: "t-6", category: record.Demographics, source: record.PatientSource, updated: day(6)},
		{id: "t-7", category: record.Results, section: record.SectionResults, current: true, source: "gp-a", updated: day(9), tombstone: true},
	}
	for _, sp := range specs {
		e := newEntry("patient-t", sp.id, day(10))
		e.Category, e.Sensitive, e.Flags = sp.category, sp.sensitive, nil
		e.Clinical = record.Clinical{Section: sp.section, Current: sp.current}
		e.Provenances = []record.Provenance{{Source: sp.source, SourceID: sp.id, ReceivedAt: sp.updated}}
		e.UpdatedAt = sp.updated
		stored, err := s.PutEntry(c, e, 0)
		if err != nil {
			t.Fatalf("PutEntry(%s): %v", sp.id, err)
		}
		if sp.tombstone {
			stored.Deleted = true
			if _, err := s.PutEntry(c, stored, stored.Revision); err != nil {
				t.Fatalf("PutEntry(%s tombstone): %v", sp.id, err)
			}
		}
	}
	// Another patient's entries are never counted.
	if _, err := s.PutEntry(c, newEntry("patient-other", "t-other", day(1)), 0); err != nil {
		t.Fatal(err)
	}

	t.Run("counts live entries by category, section, currency and sensitivity", func(t *testing.T) {
		got, err := s.RecordTally(c, "patient-t")
		if err != nil {
			t.Fatal(err)
		}
		want := []record.TallyRow{
			{Category: record.Allergies, Section: record.SectionAllergies, Current: false, Entries: 1},
			{Category: record.Allergies, Section: record.SectionAllergies, Current: true, Entries: 2},
			{Category: record.Conditions, Section: record.SectionProblems, Current: false, Entries: 1},
			{Category: record.Conditions, Section: record.SectionProblems, Current: true, Sensitive: true, Entries: 1},
			{Category: record.Demographics, Entries: 1},
		}
		if rows := sortedRows(got.Rows); !reflect.DeepEqual(rows, want) {
			t.Fatalf("RecordTally rows =\n %+v\nwant\n %+v", rows, want)
		}
		wantSync := map[string]time.Time{"gp-a": day(3), "$odd.source": day(5), record.PatientSource: day(6)}
		if !reflect.DeepEqual(got.LastSync, wantSync) {
			t.Fatalf("RecordTally last sync = %v, want %v (a tombstone is no delivery)", got.LastSync, wantSync)
		}
	})

	t.Run("a patient without a record has an empty tally", func(t *testing.T) {
		got, err := s.RecordTally(c, "patient-none")
		if err != nil || len(got.Rows)+len(got.LastSync) != 0 {
			t.Fatalf("RecordTally(none) = %+v, %v; want empty", got, err)
		}
	})

	heads := func(t *testing.T, q app.EntryQuery) []string {
		t.Helper()
		q.Limit = 50
		got, _, err := s.EntryHeads(c, "patient-t", q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range got {
			out = append(out, e.ID)
		}
		slices.Sort(out)
		return out
	}
	for _, tc := range []struct {
		name string
		q    app.EntryQuery
		want []string
	}{
		{"a section's current items", app.EntryQuery{Section: record.SectionAllergies, State: app.StateCurrent}, []string{"t-1", "t-2"}},
		{"a section's past items", app.EntryQuery{Section: record.SectionAllergies, State: app.StatePast}, []string{"t-3"}},
		{"a whole section", app.EntryQuery{Section: record.SectionProblems}, []string{"t-4", "t-5"}},
		{"current items within a scope without sensitive data", app.EntryQuery{Section: record.SectionProblems, State: app.StateCurrent,
			Within: access.Scope{record.Conditions: false}}, nil},
		{"past items of every section", app.EntryQuery{State: app.StatePast}, []string{"t-3", "t-5", "t-6"}},
		{"a section no entry is in", app.EntryQuery{Section: record.SectionResults}, nil},
	} {
		t.Run("lists "+tc.name, func(t *testing.T) {
			if got := heads(t, tc.q); !slices.Equal(got, tc.want) {
				t.Fatalf("EntryHeads(%+v) = %v, want %v", tc.q, got, tc.want)
			}
		})
	}
}

// sortedRows orders tally rows so two stores' answers compare.
func sortedRows(rows []record.TallyRow) []record.TallyRow {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b record.TallyRow) int {
		for _, c := range []int{cmp.Compare(a.Category, b.Category), cmp.Compare(a.Section, b.Section),
			cmpBool(a.Current, b.Current), cmpBool(a.Sensitive, b.Sensitive)} {
			if c != 0 {
				return c
			}
		}
		return 0
	})
	return out
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
