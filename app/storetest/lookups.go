package storetest

import (
	"errors"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

func testPatientLookups(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	first := newPatient(t, "lookup-1")
	second := newPatient(t, "lookup-2") // the same NHS number at another identity provider
	second.CreatedAt = second.CreatedAt.Add(time.Hour)
	other := newPatient(t, "lookup-3")
	other.NHSNumber = "9990000018"
	for _, p := range []patient.Patient{second, first, other} {
		if err := s.CreatePatient(c, p); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("by NHS number, oldest first", func(t *testing.T) {
		got, err := s.PatientsByNHSNumber(c, first.NHSNumber)
		if err != nil || len(got) != 2 || got[0].ID != first.ID || got[1].ID != second.ID {
			t.Fatalf("PatientsByNHSNumber = %v, %v; want the first then the second account", got, err)
		}
		if none, err := s.PatientsByNHSNumber(c, "9990000026"); err != nil || len(none) != 0 {
			t.Fatalf("PatientsByNHSNumber(unknown) = %v, %v; want none", none, err)
		}
	})

	t.Run("every id, in pages", func(t *testing.T) {
		want := []string{first.ID, second.ID, other.ID}
		slices.Sort(want)
		var got []string
		after := ""
		for {
			page, err := s.PatientIDs(c, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			got, after = append(got, page...), page[len(page)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("PatientIDs = %v, want %v", got, want)
		}
		if _, err := s.PatientIDs(c, "", 0); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("PatientIDs(limit 0) = %v, want ErrInvalid", err)
		}
	})

	t.Run("settings round-trip, and break-glass is on by default", func(t *testing.T) {
		if !first.Settings.BreakGlassAllowed {
			t.Fatal("a new account should allow break-glass")
		}
		want := patient.Settings{BreakGlassAllowed: false, AlertMode: patient.AlertDailyDigest,
			QuietHours: alert.QuietHours{Start: 22 * 60, End: 7*60 + 30}}
		got, err := s.UpdatePatient(c, first.ID, func(p *patient.Patient) error {
			p.Settings = want
			return nil
		})
		if err != nil || got.Settings != want {
			t.Fatalf("UpdatePatient = %+v, %v", got.Settings, err)
		}
		if read, _ := s.Patient(c, first.ID); read.Settings != want {
			t.Fatalf("settings read back as %+v, want %+v", read.Settings, want)
		}
	})
}

func testAccessReports(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	a, err := app.New(s, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	events := map[string]audit.Event{}
	for _, spec := range []struct{ patient, org string }{{"patient-a", "RR8"}, {"patient-a", "B86001"}, {"patient-b", "RR8"}} {
		e := event(spec.patient, len(events))
		e.Actor.Organisation = spec.org
		sealed, err := a.RecordAccess(c, e)
		if err != nil {
			t.Fatal(err)
		}
		events[spec.patient+spec.org] = sealed
	}

	t.Run("an event reads back whole, alert state and all", func(t *testing.T) {
		want := events["patient-aRR8"]
		got, err := s.AccessEvent(c, "patient-a", want.ID)
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("AccessEvent = %+v, %v\nwant %+v", got, err, want)
		}
		if _, err := s.AccessEvent(c, "patient-b", want.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("AccessEvent(other patient) = %v, want ErrNotFound", err)
		}
	})

	t.Run("reporting keeps the first report and leaves the chain intact", func(t *testing.T) {
		e := events["patient-aRR8"]
		first := audit.Report{At: at.Add(time.Hour).UTC().Truncate(time.Millisecond), Note: "I was not in Leeds"}
		got, err := s.ReportAccessEvent(c, "patient-a", e.ID, first)
		if err != nil || got.Report != first {
			t.Fatalf("ReportAccessEvent = %+v, %v", got.Report, err)
		}
		again, err := s.ReportAccessEvent(c, "patient-a", e.ID, audit.Report{At: at.Add(2 * time.Hour), Note: "again"})
		if err != nil || again.Report != first {
			t.Fatalf("second report = %+v, %v; want the first kept", again.Report, err)
		}
		if _, err := s.ReportAccessEvent(c, "patient-b", e.ID, first); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("reporting another patient's event = %v, want ErrNotFound", err)
		}
		var w audit.ChainWalk
		page, _, _ := s.AccessEvents(c, "patient-a", 0, 10)
		for _, ev := range page {
			w.Older(ev)
		}
		if b := w.End(); b != nil {
			t.Fatalf("chain broken after a report: %+v", b)
		}
	})

	t.Run("reported events are listed, for everyone or one organisation", func(t *testing.T) {
		later := events["patient-bRR8"]
		if _, err := s.ReportAccessEvent(c, "patient-b", later.ID, audit.Report{At: at.Add(3 * time.Hour)}); err != nil {
			t.Fatal(err)
		}
		all, err := s.ReportedAccessEvents(c, "", 10)
		if err != nil || len(all) != 2 || all[0].ID != later.ID {
			t.Fatalf("ReportedAccessEvents(all) = %d, %v; want 2, the latest report first", len(all), err)
		}
		none, err := s.ReportedAccessEvents(c, "B86001", 10)
		if err != nil || len(none) != 0 {
			t.Fatalf("ReportedAccessEvents(B86001) = %d, %v; want none", len(none), err)
		}
		one, err := s.ReportedAccessEvents(c, "RR8", 1)
		if err != nil || len(one) != 1 {
			t.Fatalf("ReportedAccessEvents(RR8, 1) = %d, %v", len(one), err)
		}
	})
}

func testScopedLists(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	put := func(id string, cat record.Category, sensitive bool, d int) {
		e := newEntry("patient-s", id, day(d))
		e.Category, e.Sensitive = cat, sensitive
		if _, err := s.PutEntry(c, e, 0); err != nil {
			t.Fatal(err)
		}
	}
	put("allergy", record.Allergies, false, 1)
	put("allergy-sensitive", record.Allergies, true, 2)
	put("result-sensitive", record.Results, true, 3)
	put("condition", record.Conditions, false, 4)
	ids := func(scope access.Scope, category record.Category) []string {
		heads, _, err := s.EntryHeads(c, "patient-s", app.EntryQuery{Within: scope, Category: category, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, h := range heads {
			out = append(out, h.ID)
		}
		return out
	}
	for _, tc := range []struct {
		name     string
		scope    access.Scope
		category record.Category
		want     []string
	}{
		{"no scope lists everything", nil, "", []string{"condition", "result-sensitive", "allergy-sensitive", "allergy"}},
		{"an empty scope lists nothing", access.Scope{}, "", nil},
		{"a category without sensitive data", access.Scope{record.Allergies: false}, "", []string{"allergy"}},
		{"categories with and without", access.Scope{record.Allergies: false, record.Results: true}, "", []string{"result-sensitive", "allergy"}},
		{"a category filter inside the scope", access.Scope{record.Allergies: true, record.Conditions: false}, record.Allergies, []string{"allergy-sensitive", "allergy"}},
		{"a category filter outside the scope", access.Scope{record.Allergies: true}, record.Conditions, nil},
	} {
		if got := ids(tc.scope, tc.category); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
