package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/migrations"
)

// Step 11 rebuilds the entries table: every entry stored before it must read
// back the same after it, in the same change order, and the id stays the
// patient's own.
func TestEntriesStoredBeforeStep11ReadTheSameAfterIt(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	steps, err := migrations.SQLite()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.w.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for _, step := range steps[:10] {
		if err := s.apply(ctx, step); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	entry := func(patientID, id string, day int) record.Entry {
		return record.Entry{ID: id, PatientID: patientID, ResourceType: "Observation", Category: record.Results,
			Provenances: []record.Provenance{{Source: "gp-a", SourceID: id, ReceivedAt: at}},
			Hash:        "h-" + id, Resource: []byte(`{"resourceType":"Observation","id":"` + id + `"}`),
			Display:   record.Display{Text: "Result " + id, Date: at.AddDate(0, 0, day)},
			CreatedAt: at, UpdatedAt: at}
	}
	var puts []app.EntryPut
	for i, id := range []string{"e-3", "e-1", "e-2"} {
		puts = append(puts, app.EntryPut{Entry: entry("patient-a", id, i)})
	}
	puts = append(puts, app.EntryPut{Entry: entry("patient-b", "e-9", 0)})
	if _, err := s.PutEntries(ctx, puts); err != nil {
		t.Fatal(err)
	}
	before := map[string]record.Entry{}
	for _, p := range puts {
		got, err := s.EntryForDisclosure(ctx, p.Entry.PatientID, p.Entry.ID)
		if err != nil {
			t.Fatal(err)
		}
		before[p.Entry.PatientID+"/"+p.Entry.ID] = got
	}

	applied, err := s.Migrate(ctx)
	if err != nil || len(applied) != len(steps)-10 || applied[0] != 11 {
		t.Fatalf("Migrate = %v, %v", applied, err)
	}
	for key, want := range before {
		got, err := s.EntryForDisclosure(ctx, want.PatientID, want.ID)
		if err != nil {
			t.Fatalf("%s after step 11: %v", key, err)
		}
		if got.ChangeSeq != want.ChangeSeq || got.Revision != want.Revision || got.Display.Text != want.Display.Text ||
			string(got.Resource) != string(want.Resource) {
			t.Fatalf("%s after step 11 = %+v, want %+v", key, got, want)
		}
	}
	// A second creation of one of the patient's ids is still a conflict.
	if _, err := s.PutEntry(ctx, entry("patient-a", "e-1", 0), 0); err == nil {
		t.Fatal("a second creation of e-1 succeeded")
	}
}
