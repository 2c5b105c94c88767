package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// sameChanges checks a page of changes entry by entry: live ones with their exact
// resource, tombstones without one.
func sameChanges(t *testing.T, what string, got []record.Entry, want ...record.Entry) {
	t.Helper()
	if fmt.Sprint(ids(got)) != fmt.Sprint(ids(want)) {
		t.Fatalf("%s = %v\nwant %v", what, ids(got), ids(want))
	}
	for i := range got {
		w := want[i]
		if w.Deleted {
			w = head(w)
		}
		sameEntry(t, what+" change "+got[i].ID, got[i], w)
	}
}

func testRecordChanges(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	put := func(e record.Entry, expect int64) record.Entry {
		t.Helper()
		stored, err := s.PutEntry(c, e, expect)
		if err != nil {
			t.Fatalf("PutEntry(%s, %d): %v", e.ID, expect, err)
		}
		return stored
	}
	a1 := put(newEntry("patient-c", "c-a", day(1)), 0)
	b1 := put(newEntry("patient-c", "c-b", day(2)), 0)
	c1 := put(newEntry("patient-c", "c-c", day(3)), 0)
	theirs := put(newEntry("patient-d", "d-a", day(1)), 0)
	a1.Resource, a1.Display.Text = resourceJSON("c-a v2"), "updated"
	a2 := put(a1, a1.Revision)
	b1.Deleted = true
	bGone := put(b1, b1.Revision)

	t.Run("a record's writes are numbered 1, 2, 3... with no gaps", func(t *testing.T) {
		var got []int64
		for _, e := range []record.Entry{a1, b1, c1, a2, bGone} {
			got = append(got, e.ChangeSeq)
		}
		if fmt.Sprint(got) != "[1 2 3 4 5]" {
			t.Fatalf("change numbers %v, want [1 2 3 4 5]", got)
		}
	})

	var epoch int64
	t.Run("changes come in order, each entry once at its latest, tombstones without resources", func(t *testing.T) {
		// Numbers 1 and 2 are missing now (their entries were written again): the feed
		// must pass over them at once, not wait on them as if still being written.
		var err error
		var changes []record.Entry
		changes, epoch, err = s.ChangesForDisclosure(c, "patient-c", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameChanges(t, "ChangesForDisclosure(0)", changes, c1, a2, bGone)
		if changes[2].Resource != nil {
			t.Fatalf("a tombstone's change came with a resource")
		}
	})

	t.Run("after and limit page through the feed, under one epoch", func(t *testing.T) {
		for _, tc := range []struct {
			after int64
			limit int
			want  []record.Entry
		}{
			{3, 100, []record.Entry{a2, bGone}},
			{0, 2, []record.Entry{c1, a2}},
			{a2.ChangeSeq, 1, []record.Entry{bGone}},
			{bGone.ChangeSeq, 10, nil},
			{-1, 1, []record.Entry{c1}},
		} {
			changes, e, err := s.ChangesForDisclosure(c, "patient-c", tc.after, tc.limit)
			if err != nil {
				t.Fatal(err)
			}
			sameChanges(t, fmt.Sprintf("ChangesForDisclosure(after %d, limit %d)", tc.after, tc.limit), changes, tc.want...)
			if e != epoch {
				t.Fatalf("epoch %d, then %d with nothing erased", epoch, e)
			}
		}
	})

	t.Run("a write that lost its race does not hold the feed up", func(t *testing.T) {
		if _, err := s.PutEntry(c, a1, a1.Revision); !errors.Is(err, fault.ErrConflict) {
			t.Fatalf("PutEntry(stale) = %v, want ErrConflict", err)
		}
		d := put(newEntry("patient-c", "c-d", day(4)), 0)
		changes, _, err := s.ChangesForDisclosure(c, "patient-c", bGone.ChangeSeq, 10)
		if err != nil {
			t.Fatal(err)
		}
		sameChanges(t, "ChangesForDisclosure after a lost write", changes, d)
	})

	t.Run("another patient's feed holds only its own changes", func(t *testing.T) {
		changes, _, err := s.ChangesForDisclosure(c, "patient-d", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameChanges(t, "ChangesForDisclosure(patient-d)", changes, theirs)
		if none, _, err := s.ChangesForDisclosure(c, "patient-x", 0, 100); err != nil || len(none) != 0 {
			t.Fatalf("ChangesForDisclosure(no record) = %v, %v; want none", ids(none), err)
		}
	})

	t.Run("the epoch stays put while nothing is erased, from before the first write", func(t *testing.T) {
		// Else a device that synced an empty record would start over for nothing.
		_, before, err := s.ChangesForDisclosure(c, "patient-new", 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		put(newEntry("patient-new", "n-1", day(1)), 0)
		if _, after, err := s.ChangesForDisclosure(c, "patient-new", 0, 10); err != nil || after != before {
			t.Fatalf("epoch %d before the first write, %d after, %v; want it unchanged", before, after, err)
		}
	})

	t.Run("a page of fewer than one change is ErrInvalid", func(t *testing.T) {
		if _, _, err := s.ChangesForDisclosure(c, "patient-c", 0, 0); !errors.Is(err, fault.ErrInvalid) {
			t.Fatalf("ChangesForDisclosure(limit 0) = %v, want ErrInvalid", err)
		}
	})

	var erased int64
	t.Run("erasing empties the record and moves the epoch on, leaving other records alone", func(t *testing.T) {
		if err := s.EraseRecord(c, "patient-c"); err != nil {
			t.Fatalf("EraseRecord: %v", err)
		}
		if tally, err := s.RecordTally(c, "patient-c"); err != nil || len(tally.Rows)+len(tally.LastSync) != 0 {
			t.Fatalf("RecordTally after erasure = %+v, %v; want nothing counted", tally, err)
		}
		changes, e, err := s.ChangesForDisclosure(c, "patient-c", 0, 100)
		if err != nil || len(changes) != 0 {
			t.Fatalf("ChangesForDisclosure after erasure = %v, %v; want none", ids(changes), err)
		}
		if e == epoch {
			t.Fatalf("epoch still %d after erasure", e)
		}
		erased = e
		if heads, _, err := s.EntryHeads(c, "patient-c", app.EntryQuery{Limit: 100}); err != nil || len(heads) != 0 {
			t.Fatalf("EntryHeads after erasure = %v, %v; want none", ids(heads), err)
		}
		for _, id := range []string{"c-a", "c-b", "c-c", "c-d"} {
			if _, err := s.EntryState(c, "patient-c", id); !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("EntryState(%s) after erasure = %v, want ErrNotFound", id, err)
			}
			if _, err := s.EntryForDisclosure(c, "patient-c", id); !errors.Is(err, fault.ErrNotFound) {
				t.Fatalf("EntryForDisclosure(%s) after erasure = %v, want ErrNotFound", id, err)
			}
		}
		if err := s.EachEntryForDisclosure(c, "patient-c", func(e record.Entry) error {
			return fmt.Errorf("visited %s after erasure", e.ID)
		}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.EntryForDisclosure(c, "patient-d", theirs.ID); err != nil {
			t.Fatalf("another patient's entry after the erasure: %v", err)
		} else {
			sameEntry(t, "another patient's entry after the erasure", got, theirs)
		}
	})

	t.Run("an erased record can be written again; erasing is idempotent", func(t *testing.T) {
		again := put(newEntry("patient-c", "c-a", day(5)), 0)
		if again.Revision != 1 || again.ChangeSeq < 1 {
			t.Fatalf("PutEntry after erasure stored revision %d, change %d", again.Revision, again.ChangeSeq)
		}
		changes, e, err := s.ChangesForDisclosure(c, "patient-c", 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		sameChanges(t, "ChangesForDisclosure after writing again", changes, again)
		if e != erased {
			t.Fatalf("epoch %d, then %d with nothing erased", erased, e)
		}
		for range 2 {
			if err := s.EraseRecord(c, "patient-c"); err != nil {
				t.Fatalf("EraseRecord again: %v", err)
			}
		}
		if changes, e, err := s.ChangesForDisclosure(c, "patient-c", 0, 100); err != nil || len(changes) != 0 || e == erased {
			t.Fatalf("after erasing twice: changes %v, epoch %d (was %d), %v", ids(changes), e, erased, err)
		}
		if err := s.EraseRecord(c, "patient-y"); err != nil {
			t.Fatalf("EraseRecord(no record): %v", err)
		}
	})
}
