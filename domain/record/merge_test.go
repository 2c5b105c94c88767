package record_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/record"
)

var (
	day1 = time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC)
	day2 = day1.Add(24 * time.Hour)
	day3 = day2.Add(24 * time.Hour)
)

func prov(source, id string, at time.Time) record.Provenance {
	return record.Provenance{Source: source, SourceID: id, ReceivedAt: at}
}

// stored is an entry as the store holds it: delivered by gncr on day 1.
func stored() record.Entry {
	return record.Entry{
		ID: "e1", PatientID: "p1", ResourceType: "Condition",
		Provenances:   []record.Provenance{prov("gncr", "c-1", day1)},
		IdentifierKey: "http://x|1",
		Version:       record.Version{VersionID: "2", LastUpdated: day1},
		Category:      record.Conditions,
		Hash:          "h-old", Resource: []byte(`old`),
		Display:   record.Display{Text: "Asthma"},
		ChangeSeq: 41, CreatedAt: day1, UpdatedAt: day1, Revision: 3,
	}
}

// delivery is an entry freshly built from one delivery on day 3.
func delivery(source, sourceID, hash string, v record.Version) record.Entry {
	return record.Entry{
		ID: "e1", PatientID: "p1", ResourceType: "Condition",
		Provenances:    []record.Provenance{prov(source, sourceID, day3)},
		IdentifierKey:  "http://x|1",
		Version:        v,
		Category:       record.Conditions,
		SecurityLabels: []string{"N"},
		Hash:           hash, Resource: []byte(hash),
		Display:   record.Display{Text: "Asthma, severe"},
		Flags:     []string{"identity-mismatch"},
		CreatedAt: day3, UpdatedAt: day3,
	}
}

// redelivery is the stored bytes delivered again by source under sourceID, read
// as they were read when stored.
func redelivery(source, sourceID string) record.Entry {
	d := delivery(source, sourceID, "h-old", stored().Version)
	d.Display, d.Flags = stored().Display, nil
	return d
}

func TestMerge(t *testing.T) {
	newer := record.Version{VersionID: "3", LastUpdated: day2}
	older := record.Version{VersionID: "1", LastUpdated: day1.Add(-time.Hour)}
	same := record.Version{VersionID: "2", LastUpdated: day1}

	// updatedBy is stored() after taking delivery d, with provenances ps.
	updatedBy := func(d record.Entry, ps ...record.Provenance) record.Entry {
		e := stored()
		e.Version, e.Sensitive, e.SecurityLabels = d.Version, d.Sensitive, d.SecurityLabels
		e.Hash, e.Resource, e.Display, e.Flags = d.Hash, d.Resource, d.Display, d.Flags
		e.Provenances, e.UpdatedAt = ps, day3
		return e
	}
	withProvenances := func(ps ...record.Provenance) record.Entry {
		e := stored()
		e.Provenances, e.UpdatedAt = ps, day3
		return e
	}
	tombstone := func() *record.Entry {
		e := stored()
		e.Deleted = true
		e.Provenances = append(e.Provenances, prov("onelondon", "q", day1))
		return &e
	}

	cases := []struct {
		name       string
		existing   *record.Entry
		in         record.Entry
		want       record.Entry
		wantChange record.Change
	}{
		{
			name:       "a new fact is created as delivered",
			existing:   nil,
			in:         delivery("gncr", "c-1", "h-new", newer),
			want:       delivery("gncr", "c-1", "h-new", newer),
			wantChange: record.Created,
		},
		{
			name:     "a delivery revives a tombstone with only its own provenance",
			existing: tombstone(),
			in:       delivery("onelondon", "q", "h-new", older),
			want: func() record.Entry {
				e := updatedBy(delivery("onelondon", "q", "h-new", older), prov("onelondon", "q", day3))
				return e
			}(),
			wantChange: record.Updated,
		},
		{
			name:       "the same bytes again from the same delivery change nothing",
			existing:   ptr(stored()),
			in:         redelivery("gncr", "c-1"),
			want:       stored(),
			wantChange: record.Unchanged,
		},
		{
			name:     "the same bytes read by newer rules take the new reading",
			existing: ptr(stored()),
			in: func() record.Entry {
				d := redelivery("gncr", "c-1")
				d.Clinical = record.Clinical{Section: record.SectionProblems, Current: true}
				return d
			}(),
			want: func() record.Entry {
				e := stored()
				e.Clinical = record.Clinical{Section: record.SectionProblems, Current: true}
				e.UpdatedAt = day3
				return e
			}(),
			wantChange: record.Updated,
		},
		{
			name:       "the same bytes from another source add a provenance",
			existing:   ptr(stored()),
			in:         redelivery("onelondon", "zz-9"),
			want:       withProvenances(prov("gncr", "c-1", day1), prov("onelondon", "zz-9", day3)),
			wantChange: record.ProvenanceAdded,
		},
		{
			name:       "the same bytes under a new id from the same source add a provenance",
			existing:   ptr(stored()),
			in:         redelivery("gncr", "c-1-moved"),
			want:       withProvenances(prov("gncr", "c-1", day1), prov("gncr", "c-1-moved", day3)),
			wantChange: record.ProvenanceAdded,
		},
		{
			name:       "a newer version from the same source replaces the resource",
			existing:   ptr(stored()),
			in:         delivery("gncr", "c-1", "h-new", newer),
			want:       updatedBy(delivery("gncr", "c-1", "h-new", newer), prov("gncr", "c-1", day3)),
			wantChange: record.Updated,
		},
		{
			name:     "a newer version from another source goes first, keeping the other",
			existing: ptr(stored()),
			in:       delivery("onelondon", "zz-9", "h-new", newer),
			want: updatedBy(delivery("onelondon", "zz-9", "h-new", newer),
				prov("onelondon", "zz-9", day3), prov("gncr", "c-1", day1)),
			wantChange: record.Updated,
		},
		{
			name:       "an older version from a known delivery changes nothing",
			existing:   ptr(stored()),
			in:         delivery("gncr", "c-1", "h-stale", older),
			want:       stored(),
			wantChange: record.Unchanged,
		},
		{
			name:       "an older version from another source only adds its provenance",
			existing:   ptr(stored()),
			in:         delivery("onelondon", "zz-9", "h-stale", older),
			want:       withProvenances(prov("gncr", "c-1", day1), prov("onelondon", "zz-9", day3)),
			wantChange: record.ProvenanceAdded,
		},
		{
			name:       "equal versions with different content: the latest delivery wins",
			existing:   ptr(stored()),
			in:         delivery("gncr", "c-1", "h-new", same),
			want:       updatedBy(delivery("gncr", "c-1", "h-new", same), prov("gncr", "c-1", day3)),
			wantChange: record.Updated,
		},
		{
			name: "no versions at all with different content: the latest delivery wins",
			existing: func() *record.Entry {
				e := stored()
				e.Version = record.Version{}
				return &e
			}(),
			in: delivery("onelondon", "zz-9", "h-new", record.Version{}),
			want: updatedBy(delivery("onelondon", "zz-9", "h-new", record.Version{}),
				prov("onelondon", "zz-9", day3), prov("gncr", "c-1", day1)),
			wantChange: record.Updated,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before record.Entry
			if tc.existing != nil {
				before = clone(*tc.existing)
			}
			got, change := record.Merge(tc.existing, tc.in)
			if change != tc.wantChange {
				t.Fatalf("change = %s, want %s", change, tc.wantChange)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Merge =\n %+v\nwant\n %+v", got, tc.want)
			}
			if tc.existing != nil && !reflect.DeepEqual(*tc.existing, before) {
				t.Fatal("Merge modified the stored entry it was given")
			}
		})
	}
}

func TestMergeKeepsSensitivityAnotherSourceGave(t *testing.T) {
	sensitiveStored := func(ps ...record.Provenance) *record.Entry {
		e := stored()
		e.Sensitive, e.SecurityLabels, e.Provenances = true, []string{"HIV"}, ps
		return &e
	}
	plain := func(source, id string) record.Entry {
		d := delivery(source, id, "h-new", record.Version{VersionID: "9", LastUpdated: day3})
		d.Sensitive, d.SecurityLabels = false, nil
		return d
	}
	cases := []struct {
		name     string
		existing *record.Entry
		in       record.Entry
		want     bool
	}{
		{"another source's unlabelled copy keeps it sensitive",
			sensitiveStored(prov("gncr", "c-1", day1)), plain("onelondon", "zz-9"), true},
		{"the only source may clear what it set",
			sensitiveStored(prov("gncr", "c-1", day1)), plain("gncr", "c-1"), false},
		{"a source that is not the only one may not",
			sensitiveStored(prov("gncr", "c-1", day1), prov("onelondon", "zz-9", day2)), plain("gncr", "c-1"), true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, change := record.Merge(tc.existing, tc.in)
			if change != record.Updated || got.Sensitive != tc.want {
				t.Fatalf("Merge = %s, sensitive %v; want updated, sensitive %v", change, got.Sensitive, tc.want)
			}
			if got.SecurityLabels != nil {
				t.Fatalf("labels %q: they describe the kept resource, which has none", got.SecurityLabels)
			}
		})
	}
}

func TestMergeOlderSensitiveCopyMarksTheEntry(t *testing.T) {
	in := delivery("onelondon", "zz-9", "h-stale", record.Version{VersionID: "1", LastUpdated: day1.Add(-time.Hour)})
	in.Sensitive, in.SecurityLabels = true, []string{"PSY"}
	got, change := record.Merge(ptr(stored()), in)
	if change != record.ProvenanceAdded || !got.Sensitive {
		t.Fatalf("Merge = %s, sensitive %v; want provenance-added, sensitive", change, got.Sensitive)
	}
	if string(got.Resource) != "old" || got.SecurityLabels != nil {
		t.Fatalf("the newer stored copy must stay, with its own labels: %s %q", got.Resource, got.SecurityLabels)
	}
}

func TestMergeDoesNotShareProvenancesWithTheStoredEntry(t *testing.T) {
	e := stored()
	e.Provenances = make([]record.Provenance, 1, 4) // room to append in place
	e.Provenances[0] = prov("gncr", "c-1", day1)
	a, _ := record.Merge(&e, delivery("onelondon", "a", "h-old", e.Version))
	b, _ := record.Merge(&e, delivery("nhsapp", "b", "h-old", e.Version))
	if a.Provenances[1].Source != "onelondon" || b.Provenances[1].Source != "nhsapp" {
		t.Fatalf("merges overwrote each other: %v / %v", a.Provenances, b.Provenances)
	}
}

func ptr(e record.Entry) *record.Entry { return &e }

func clone(e record.Entry) record.Entry {
	e.Provenances = append([]record.Provenance(nil), e.Provenances...)
	e.Resource = append([]byte(nil), e.Resource...)
	return e
}
