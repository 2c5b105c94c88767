package record_test

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/record"
)

// live is a stored entry of category c dated `date` days after day1, delivered by
// source and last changed at `at`.
func live(id string, c record.Category, date int, source string, at time.Time) record.Entry {
	return record.Entry{
		ID: id, PatientID: "p1", ResourceType: "Condition", Category: c,
		Provenances: []record.Provenance{prov(source, id, at)},
		Display:     record.Display{Text: id, Date: day1.AddDate(0, 0, date)},
		UpdatedAt:   at,
	}
}

func item(e record.Entry) record.SummaryItem {
	return record.SummaryItem{EntryID: e.ID, ResourceType: e.ResourceType, Display: e.Display, Sensitive: e.Sensitive,
		Source: e.Source(), UpdatedAt: e.UpdatedAt}
}

func ids(items []record.SummaryItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.EntryID)
	}
	return out
}

func TestSummaryApply(t *testing.T) {
	a := live("a", record.Conditions, 1, "gncr", day2)
	deleted := func(e record.Entry) record.Entry { e.Deleted = true; e.UpdatedAt = day3; return e }
	moved := func(e record.Entry, c record.Category) record.Entry { e.Category = c; e.UpdatedAt = day3; return e }

	cases := []struct {
		name   string
		start  record.Summary
		before *record.Entry
		after  record.Entry
		want   record.Summary
	}{
		{
			name:  "a new entry on an empty summary counts and shows",
			start: record.Summary{PatientID: "p1"},
			after: a,
			want: record.Summary{PatientID: "p1",
				Counts:   map[record.Category]int{record.Conditions: 1},
				Latest:   map[record.Category][]record.SummaryItem{record.Conditions: {item(a)}},
				LastSync: map[string]time.Time{"gncr": day2}},
		},
		{
			name: "an update neither recounts nor duplicates",
			start: record.Summary{
				Counts:   map[record.Category]int{record.Conditions: 1},
				Latest:   map[record.Category][]record.SummaryItem{record.Conditions: {item(a)}},
				LastSync: map[string]time.Time{"gncr": day2}},
			before: &a,
			after:  func() record.Entry { e := a; e.Display.Text = "a2"; e.UpdatedAt = day3; return e }(),
			want: record.Summary{
				Counts: map[record.Category]int{record.Conditions: 1},
				Latest: map[record.Category][]record.SummaryItem{record.Conditions: {
					{EntryID: "a", ResourceType: "Condition", Display: record.Display{Text: "a2", Date: a.Display.Date},
						Source: "gncr", UpdatedAt: day3}}},
				LastSync: map[string]time.Time{"gncr": day3}},
		},
		{
			name: "a deletion uncounts and hides",
			start: record.Summary{
				Counts:   map[record.Category]int{record.Conditions: 1, record.Allergies: 2},
				Latest:   map[record.Category][]record.SummaryItem{record.Conditions: {item(a)}},
				LastSync: map[string]time.Time{"gncr": day2}},
			before: &a,
			after:  deleted(a),
			want: record.Summary{
				Counts:   map[record.Category]int{record.Allergies: 2},
				Latest:   map[record.Category][]record.SummaryItem{},
				LastSync: map[string]time.Time{"gncr": day3}},
		},
		{
			name: "a revived tombstone counts again",
			start: record.Summary{
				Counts: map[record.Category]int{}, Latest: map[record.Category][]record.SummaryItem{},
				LastSync: map[string]time.Time{"gncr": day2}},
			before: ptr(deleted(a)),
			after:  a,
			want: record.Summary{
				Counts:   map[record.Category]int{record.Conditions: 1},
				Latest:   map[record.Category][]record.SummaryItem{record.Conditions: {item(a)}},
				LastSync: map[string]time.Time{"gncr": day2}},
		},
		{
			name: "a category change moves the count and the item",
			start: record.Summary{
				Counts:   map[record.Category]int{record.Conditions: 1},
				Latest:   map[record.Category][]record.SummaryItem{record.Conditions: {item(a)}},
				LastSync: map[string]time.Time{"gncr": day2}},
			before: &a,
			after:  moved(a, record.Results),
			want: record.Summary{
				Counts:   map[record.Category]int{record.Results: 1},
				Latest:   map[record.Category][]record.SummaryItem{record.Results: {item(moved(a, record.Results))}},
				LastSync: map[string]time.Time{"gncr": day3}},
		},
		{
			name: "an older delivery does not move last sync back",
			start: record.Summary{
				Counts: map[record.Category]int{}, Latest: map[record.Category][]record.SummaryItem{},
				LastSync: map[string]time.Time{"gncr": day3}},
			after: a,
			want: record.Summary{
				Counts:   map[record.Category]int{record.Conditions: 1},
				Latest:   map[record.Category][]record.SummaryItem{record.Conditions: {item(a)}},
				LastSync: map[string]time.Time{"gncr": day3}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.start
			s.Apply(tc.before, tc.after)
			if len(s.SensitiveCounts) == 0 && len(tc.want.SensitiveCounts) == 0 {
				s.SensitiveCounts = tc.want.SensitiveCounts
			}
			if !reflect.DeepEqual(s, tc.want) {
				t.Fatalf("summary =\n %+v\nwant\n %+v", s, tc.want)
			}
		})
	}
}

func TestSummaryLatestKeepsTheNewestFive(t *testing.T) {
	var s record.Summary
	// Dates 3, 7, 1, 9, 5, 8, 2 days after day1: the five newest are 9, 8, 7, 5, 3.
	for i, d := range []int{3, 7, 1, 9, 5, 8, 2} {
		s.Apply(nil, live(fmt.Sprintf("e%d", d), record.Results, d, "gncr", day1.Add(time.Duration(i)*time.Minute)))
	}
	if got, want := ids(s.Latest[record.Results]), []string{"e9", "e8", "e7", "e5", "e3"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("latest = %v, want %v", got, want)
	}
	if s.Counts[record.Results] != 7 {
		t.Fatalf("count = %d, want 7", s.Counts[record.Results])
	}
	if !s.LastSync["gncr"].Equal(day1.Add(6 * time.Minute)) {
		t.Fatalf("last sync = %v", s.LastSync["gncr"])
	}
}

func TestSummaryLatestTiesOnDateGoByEntryID(t *testing.T) {
	var s record.Summary
	for _, id := range []string{"b", "c", "a"} {
		s.Apply(nil, live(id, record.Vitals, 1, "gncr", day2))
	}
	s.Apply(nil, live("older", record.Vitals, 0, "gncr", day2))
	if got, want := ids(s.Latest[record.Vitals]), []string{"c", "b", "a", "older"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("latest = %v, want %v", got, want)
	}
}

func TestSummaryApplyTwiceIsApplyOnce(t *testing.T) {
	a := live("a", record.Conditions, 1, "gncr", day2)
	var once, twice record.Summary
	once.Apply(nil, a)
	twice.Apply(nil, a)
	twice.Apply(&a, a)
	if !reflect.DeepEqual(once, twice) {
		t.Fatalf("once %+v, twice %+v", once, twice)
	}
}

func TestSummaryApplyDoesNotShareLatestWithACopy(t *testing.T) {
	var s record.Summary
	s.Apply(nil, live("a", record.Conditions, 1, "gncr", day2))
	snapshot := s.Latest[record.Conditions]
	s.Apply(nil, live("b", record.Conditions, 2, "gncr", day2))
	if got := ids(snapshot); !reflect.DeepEqual(got, []string{"a"}) {
		t.Fatalf("an earlier read of Latest changed to %v", got)
	}
}

func TestSensitiveEntriesAreCountedApartAndHiddenFromWhoMayNotSeeThem(t *testing.T) {
	day := time.Date(2026, 1, 2, 9, 0, 0, 0, time.UTC)
	entry := func(id string, c record.Category, sensitive bool) record.Entry {
		return record.Entry{ID: id, ResourceType: "Condition", Category: c, Sensitive: sensitive,
			Display: record.Display{Text: id, Date: day}, UpdatedAt: day}
	}
	var s record.Summary
	plain, hiv, allergy := entry("a", record.Conditions, false), entry("b", record.Conditions, true), entry("c", record.Allergies, false)
	s.Apply(nil, plain)
	s.Apply(nil, hiv)
	s.Apply(nil, allergy)
	if s.Counts[record.Conditions] != 2 || s.SensitiveCounts[record.Conditions] != 1 {
		t.Fatalf("counts %v, sensitive %v", s.Counts, s.SensitiveCounts)
	}
	noSensitiveConditions := s.Within(func(c record.Category, sensitive bool) bool {
		return c == record.Conditions && !sensitive
	})
	if noSensitiveConditions.Counts[record.Conditions] != 1 || len(noSensitiveConditions.Counts) != 1 ||
		len(noSensitiveConditions.Latest[record.Conditions]) != 1 || noSensitiveConditions.Latest[record.Conditions][0].EntryID != "a" ||
		len(noSensitiveConditions.Latest) != 1 {
		t.Fatalf("within conditions without sensitive: %+v", noSensitiveConditions)
	}
	everything := s.Within(func(record.Category, bool) bool { return true })
	if everything.Counts[record.Conditions] != 2 || everything.Counts[record.Allergies] != 1 || len(everything.Latest[record.Conditions]) != 2 {
		t.Fatalf("within everything: %+v", everything)
	}
	deleted := hiv
	deleted.Deleted = true
	s.Apply(&hiv, deleted)
	if s.SensitiveCounts[record.Conditions] != 0 || s.Counts[record.Conditions] != 1 {
		t.Fatalf("after deleting the sensitive entry: counts %v, sensitive %v", s.Counts, s.SensitiveCounts)
	}
}
