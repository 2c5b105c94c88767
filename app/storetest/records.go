package storetest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// resourceJSON is FHIR JSON with the spacing, escapes and key order a re-encoding
// store would change: stores must give back exactly these bytes.
func resourceJSON(id string) []byte {
	return []byte(fmt.Sprintf("{\"resourceType\":\"Observation\",  \"id\":%q,\n  \"status\":\"final\", "+
		"\"valueString\":\"caf\\u00e9 \\u2603 <&>\",\n  \"zeta\":1, \"alpha\":{\"b\":[1, 2.50, 1e3], \"a\":null}}\n", id))
}

// newEntry is an entry with every field set, its times in nanoseconds and a non-UTC
// zone, to prove stores keep them all and normalise the times.
func newEntry(patientID, id string, date time.Time) record.Entry {
	resource := resourceJSON(id)
	sum := sha256.Sum256(resource)
	return record.Entry{
		ID: id, PatientID: patientID, ResourceType: "Observation",
		Provenances: []record.Provenance{
			{Source: "gp-a", SourceID: "obs-" + id, FullURL: "urn:uuid:0d2c3b1e-" + id, ReceivedAt: at},
			{Source: record.PatientSource, SourceID: "upload-" + id, FullURL: "urn:uuid:9f1a-" + id, ReceivedAt: at.Add(time.Minute + time.Microsecond)},
		},
		IdentifierKey: "https://lab.example/ids|" + id,
		Version:       record.Version{VersionID: "3", LastUpdated: at.Add(-time.Hour)},
		Category:      record.Results, Sensitive: true, SecurityLabels: []string{"R", "PSY"},
		Hash: hex.EncodeToString(sum[:]), Resource: resource,
		Display: record.Display{Text: "Haemoglobin", Status: "final", Date: date, DatePrecision: record.PrecisionTime},
		Clinical: record.Clinical{Section: record.SectionResults, Current: true, Rank: 2, Detail: record.Detail{
			Criticality: "high", Verification: "unconfirmed", Dosage: "1 tablet twice a day", MedicationRef: "Medication/m-1",
			Value: "135 g/L", ReferenceRange: "130–180 g/L", Interpretation: "Normal",
			Reactions: []record.Reaction{{Manifestations: []string{"Hives", "Wheeze"}, Severity: "moderate"}, {Manifestations: []string{"Rash"}, Severity: "mild"}},
		}},
		Flags:     []string{"identity-mismatch"},
		CreatedAt: at, UpdatedAt: at.Add(time.Second),
	}
}

// asStored is e as a store gives it back, times in UTC milliseconds, at the revision
// and change number stored says it got.
func asStored(e, stored record.Entry) record.Entry {
	e.Provenances = append([]record.Provenance(nil), e.Provenances...)
	for i := range e.Provenances {
		e.Provenances[i].ReceivedAt = utcMilli(e.Provenances[i].ReceivedAt)
	}
	e.Version.LastUpdated = utcMilli(e.Version.LastUpdated)
	e.Display.Date = utcMilli(e.Display.Date)
	e.CreatedAt, e.UpdatedAt = utcMilli(e.CreatedAt), utcMilli(e.UpdatedAt)
	e.Revision, e.ChangeSeq = stored.Revision, stored.ChangeSeq
	return e
}

// head is e without its resource, as lists give it and tombstones keep it.
func head(e record.Entry) record.Entry {
	e.Resource = nil
	return e
}

func utcMilli(t time.Time) time.Time { return t.Truncate(time.Millisecond).UTC() }

// sameEntry fails unless got is want, resource bytes included.
func sameEntry(t *testing.T, what string, got, want record.Entry) {
	t.Helper()
	if string(got.Resource) != string(want.Resource) || (got.Resource == nil) != (want.Resource == nil) {
		t.Fatalf("%s: resource came back as %q, want %q", what, got.Resource, want.Resource)
	}
	if !reflect.DeepEqual(head(got), head(want)) {
		t.Fatalf("%s = %+v\nwant %+v", what, head(got), head(want))
	}
}

// storeAssigned are the Entry fields newEntry leaves to the store, or to a later write.
var storeAssigned = map[string]bool{"Entry.Deleted": true, "Entry.ChangeSeq": true, "Entry.Revision": true}

// allSet fails when v, or a struct or slice element inside it, has a zero field, so
// a field added to record.Entry makes this suite set it, and a store that does not
// keep it fails the round trip.
func allSet(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeOf(time.Time{}) {
			break
		}
		for i := 0; i < v.NumField(); i++ {
			name := path + "." + v.Type().Field(i).Name
			if storeAssigned[name] {
				continue
			}
			if v.Field(i).IsZero() {
				t.Fatalf("newEntry leaves %s unset: set it, so the round trip proves stores keep it", name)
			}
			allSet(t, v.Field(i), name)
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Struct {
			for i := 0; i < v.Len(); i++ {
				allSet(t, v.Index(i), path)
			}
		}
	}
}

func testRecords(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	e := newEntry("patient-a", "entry-a1", at.Add(-48*time.Hour))
	first, err := s.PutEntry(c, e, 0)
	if err != nil {
		t.Fatalf("PutEntry(new): %v", err)
	}

	t.Run("a new entry is stored at revision 1 as change 1 and reads back exactly, in UTC milliseconds", func(t *testing.T) {
		allSet(t, reflect.ValueOf(e), "Entry")
		if first.Revision != 1 || first.ChangeSeq != 1 {
			t.Fatalf("PutEntry(new) stored revision %d, change %d; want 1 and 1", first.Revision, first.ChangeSeq)
		}
		want := asStored(e, first)
		sameEntry(t, "PutEntry(new)", first, want)
		got, err := s.EntryForDisclosure(c, "patient-a", e.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameEntry(t, "EntryForDisclosure", got, want)
		for _, ts := range []time.Time{got.CreatedAt, got.UpdatedAt, got.Display.Date, got.Version.LastUpdated,
			got.Provenances[0].ReceivedAt, got.Provenances[1].ReceivedAt} {
			if ts.Location() != time.UTC || ts.Nanosecond()%1e6 != 0 {
				t.Fatalf("time %v is not UTC milliseconds", ts)
			}
		}
		state, err := s.EntryState(c, "patient-a", e.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameEntry(t, "EntryState", state, want) // with the resource: a merge may write it back
	})

	t.Run("a second creation is ErrConflict and changes nothing", func(t *testing.T) {
		rival := newEntry("patient-a", e.ID, at)
		rival.Display.Text = "rival"
		if _, err := s.PutEntry(c, rival, 0); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("PutEntry(existing id, expect 0) = %v, want ErrConflict", err)
		}
		got, _ := s.EntryForDisclosure(c, "patient-a", e.ID)
		sameEntry(t, "entry after the losing creation", got, first)
	})

	var second record.Entry
	t.Run("a write at the stored revision is stored at the next one as a later change", func(t *testing.T) {
		next := first
		next.Provenances = append(append([]record.Provenance(nil), first.Provenances...),
			record.Provenance{Source: "hospital-b", SourceID: "b-9", ReceivedAt: at.Add(time.Hour)})
		next.Resource = resourceJSON("entry-a1 v2")
		next.Display.Text, next.Sensitive, next.SecurityLabels, next.Flags = "Haemoglobin (repeat)", false, nil, nil
		next.Version = record.Version{VersionID: "4", LastUpdated: at}
		next.UpdatedAt = at.Add(time.Hour)
		var err error
		if second, err = s.PutEntry(c, next, first.Revision); err != nil {
			t.Fatalf("PutEntry(update): %v", err)
		}
		if second.Revision != 2 || second.ChangeSeq <= first.ChangeSeq {
			t.Fatalf("PutEntry(update) stored revision %d, change %d; want 2 and above %d", second.Revision, second.ChangeSeq, first.ChangeSeq)
		}
		want := asStored(next, second)
		sameEntry(t, "PutEntry(update)", second, want)
		got, err := s.EntryForDisclosure(c, "patient-a", e.ID)
		if err != nil {
			t.Fatal(err)
		}
		sameEntry(t, "EntryForDisclosure after the update", got, want)
	})

	t.Run("a write at a stale revision is ErrConflict and changes nothing", func(t *testing.T) {
		stale := first
		stale.Display.Text = "stale"
		if _, err := s.PutEntry(c, stale, first.Revision); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("PutEntry(stale revision) = %v, want ErrConflict", err)
		}
		got, _ := s.EntryForDisclosure(c, "patient-a", e.ID)
		sameEntry(t, "entry after the stale write", got, second)
	})

	t.Run("another patient can neither read the entry nor write over it", func(t *testing.T) {
		if _, err := s.EntryForDisclosure(c, "patient-b", e.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("EntryForDisclosure(another patient's entry) = %v, want ErrNotFound", err)
		}
		if _, err := s.EntryState(c, "patient-b", e.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("EntryState(another patient's entry) = %v, want ErrNotFound", err)
		}
		// Entry ids derive from the patient, so this cannot happen through the app; a
		// store must still never move or change the entry: it refuses the write (ids
		// unique across patients) or keeps it in the other record alone (ids unique
		// within a patient), and an update can only be of the writer's own.
		intruder := newEntry("patient-b", e.ID, at)
		if _, err := s.PutEntry(c, intruder, second.Revision); err == nil {
			t.Fatalf("PutEntry(another patient's entry id, expect %d) succeeded", second.Revision)
		}
		if _, err := s.PutEntry(c, intruder, 0); err == nil {
			got, err := s.EntryForDisclosure(c, "patient-b", e.ID)
			if err != nil || got.PatientID != "patient-b" || got.Display.Text != intruder.Display.Text {
				t.Fatalf("another patient's entry by the same id, read back: %+v, %v", got, err)
			}
		}
		got, _ := s.EntryForDisclosure(c, "patient-a", e.ID)
		sameEntry(t, "entry after another patient's writes", got, second)
	})

	t.Run("a tombstone is not an entry, but its state is kept for merging, and it can come back", func(t *testing.T) {
		tomb := second
		tomb.Deleted, tomb.Flags = true, []string{"withdrawn"}
		stored, err := s.PutEntry(c, tomb, second.Revision)
		if err != nil {
			t.Fatalf("PutEntry(tombstone): %v", err)
		}
		if _, err := s.EntryForDisclosure(c, "patient-a", e.ID); !errors.Is(err, fault.ErrNotFound) {
			t.Fatalf("EntryForDisclosure(tombstone) = %v, want ErrNotFound", err)
		}
		state, err := s.EntryState(c, "patient-a", e.ID)
		if err != nil {
			t.Fatalf("EntryState(tombstone): %v", err)
		}
		sameEntry(t, "EntryState(tombstone)", state, head(asStored(tomb, stored))) // tombstones keep no resource
		if !state.Deleted || state.Revision != 3 {
			t.Fatalf("EntryState(tombstone) = deleted %v at revision %d, want deleted at 3", state.Deleted, state.Revision)
		}

		back := state
		back.Deleted, back.Resource = false, resourceJSON("entry-a1 v3")
		revived, err := s.PutEntry(c, back, state.Revision)
		if err != nil {
			t.Fatalf("PutEntry(revive): %v", err)
		}
		got, err := s.EntryForDisclosure(c, "patient-a", e.ID)
		if err != nil {
			t.Fatalf("EntryForDisclosure(revived): %v", err)
		}
		sameEntry(t, "EntryForDisclosure(revived)", got, asStored(back, revived))
	})

	t.Run("a write without an id or owner, or expecting a negative revision, is ErrInvalid", func(t *testing.T) {
		noID, noOwner := newEntry("patient-a", "", at), newEntry("", "entry-x", at)
		for name, put := range map[string]func() error{
			"no id":            func() error { _, err := s.PutEntry(c, noID, 0); return err },
			"no owner":         func() error { _, err := s.PutEntry(c, noOwner, 0); return err },
			"negative version": func() error { _, err := s.PutEntry(c, newEntry("patient-a", "entry-x", at), -1); return err },
		} {
			if err := put(); !errors.Is(err, fault.ErrInvalid) {
				t.Fatalf("PutEntry(%s) = %v, want ErrInvalid", name, err)
			}
		}
	})
}

func testRecordRaces(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)

	t.Run("of twenty concurrent creations of one entry exactly one wins", func(t *testing.T) {
		const racers = 20
		exactlyOneWins(t, racers, "PutEntry", func(i int) error {
			_, err := s.PutEntry(c, newEntry("patient-r", "entry-r", at.Add(time.Duration(i)*time.Second)), 0)
			return err
		})
		if got, err := s.EntryState(c, "patient-r", "entry-r"); err != nil || got.Revision != 1 {
			t.Fatalf("EntryState after the race = revision %d, %v; want revision 1", got.Revision, err)
		}
	})

	t.Run("concurrent writers to one record get distinct change numbers, rising per entry", func(t *testing.T) {
		const writers, writes = 10, 4
		var (
			mu   sync.Mutex
			seen = map[int64]string{}
			last = map[string]record.Entry{}
			wg   sync.WaitGroup
		)
		for i := 0; i < writers; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e := newEntry("patient-w", fmt.Sprintf("entry-w%02d", i), at)
				var prev record.Entry
				for w := 0; w < writes; w++ {
					e.Display.Text = fmt.Sprintf("write %d", w)
					stored, err := s.PutEntry(c, e, prev.Revision)
					if err != nil {
						t.Errorf("PutEntry(%s, write %d): %v", e.ID, w, err)
						return
					}
					if stored.ChangeSeq <= prev.ChangeSeq {
						t.Errorf("%s: change %d after change %d", e.ID, stored.ChangeSeq, prev.ChangeSeq)
					}
					mu.Lock()
					if other, dup := seen[stored.ChangeSeq]; dup {
						t.Errorf("change %d given to both %s and %s", stored.ChangeSeq, other, e.ID)
					}
					seen[stored.ChangeSeq] = e.ID
					last[e.ID] = stored
					mu.Unlock()
					prev = stored
				}
			}()
		}
		wg.Wait()
		if t.Failed() {
			return
		}
		if len(seen) != writers*writes {
			t.Fatalf("%d distinct change numbers for %d writes", len(seen), writers*writes)
		}
		changes, _, err := s.ChangesForDisclosure(c, "patient-w", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(changes) != writers {
			t.Fatalf("ChangesForDisclosure returned %d changes, want each of the %d entries once at its latest", len(changes), writers)
		}
		for i, ch := range changes {
			if i > 0 && ch.ChangeSeq <= changes[i-1].ChangeSeq {
				t.Fatalf("change %d follows change %d", ch.ChangeSeq, changes[i-1].ChangeSeq)
			}
			sameEntry(t, "change for "+ch.ID, ch, last[ch.ID])
		}
	})
}
