package storetest

import (
	"errors"
	"testing"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
)

func testRecordBatches(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	a, b, d := newEntry("p-batch", "e-1", at), newEntry("p-batch", "e-2", at), newEntry("p-batch", "e-3", at)
	n, err := s.PutEntries(c, []app.EntryPut{{Entry: a}, {Entry: b}, {Entry: d}})
	if err != nil || n != 3 {
		t.Fatalf("PutEntries of three new entries = %d, %v", n, err)
	}
	if n, err := s.PutEntries(c, nil); err != nil || n != 0 {
		t.Fatalf("PutEntries of nothing = %d, %v", n, err)
	}

	got, err := s.EntryStates(c, "p-batch", []string{"e-1", "e-3", "e-missing"})
	if err != nil || len(got) != 2 {
		t.Fatalf("EntryStates = %d entries, %v", len(got), err)
	}
	if got["e-1"].Revision != 1 || got["e-3"].Revision != 1 || string(got["e-1"].Resource) != string(a.Resource) {
		t.Fatalf("EntryStates read %+v", got)
	}
	if got["e-1"].ChangeSeq == got["e-3"].ChangeSeq {
		t.Fatal("two entries of one batch share a change number")
	}
	if other, err := s.EntryStates(c, "p-other", []string{"e-1", "e-2"}); err != nil || len(other) != 0 {
		t.Fatalf("another patient's EntryStates found %d of p-batch's entries (%v)", len(other), err)
	}

	// A lost compare-and-set stops the batch with ErrConflict; the writes before
	// it are written or not (n says which), none after it.
	a.Display.Text, b.Display.Text = "changed", "changed"
	n, err = s.PutEntries(c, []app.EntryPut{{Entry: a, Expect: 1}, {Entry: b, Expect: 7}, {Entry: d, Expect: 1}})
	if !errors.Is(err, fault.ErrConflict) || n > 1 {
		t.Fatalf("PutEntries with a stale revision = %d, %v; want ErrConflict after at most the first", n, err)
	}
	after, err := s.EntryStates(c, "p-batch", []string{"e-1", "e-2", "e-3"})
	if err != nil {
		t.Fatal(err)
	}
	if wrote := after["e-1"].Revision == 2; wrote != (n == 1) {
		t.Fatalf("PutEntries said it wrote %d but e-1 is at revision %d", n, after["e-1"].Revision)
	}
	if after["e-2"].Revision != 1 || after["e-3"].Revision != 1 {
		t.Fatalf("writes at and after the conflict were stored: e-2 rev %d, e-3 rev %d", after["e-2"].Revision, after["e-3"].Revision)
	}
	if _, err := s.PutEntries(c, []app.EntryPut{{Entry: newEntry("", "e-9", at)}}); !errors.Is(err, fault.ErrInvalid) {
		t.Fatalf("PutEntries of an entry without its patient = %v, want ErrInvalid", err)
	}
}
