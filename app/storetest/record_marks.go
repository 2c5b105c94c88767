package storetest

import (
	"testing"

	"github.com/kith-health/kith/app"
)

// testRecordMarks checks what a summary cache relies on: every entry write and
// every erasure moves the record's mark on, and nothing else's does.
func testRecordMarks(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	mark := func(patientID string) app.RecordMark {
		t.Helper()
		m, err := s.RecordMark(c, patientID)
		if err != nil {
			t.Fatalf("RecordMark(%s): %v", patientID, err)
		}
		if !m.Settled {
			t.Fatalf("RecordMark(%s) = %+v with no write in flight, want settled", patientID, m)
		}
		return m
	}
	if m := mark("patient-m"); m.LastSeq != 0 {
		t.Fatalf("a patient with no record has mark %+v, want the zero mark", m)
	}
	moved := func(what string, before app.RecordMark) app.RecordMark {
		t.Helper()
		after := mark("patient-m")
		if after == before {
			t.Fatalf("%s left the mark at %+v", what, before)
		}
		return after
	}

	m0 := mark("patient-m")
	e, err := s.PutEntry(c, newEntry("patient-m", "m-a", day(1)), 0)
	if err != nil {
		t.Fatal(err)
	}
	m1 := moved("PutEntry", m0)
	e.Display.Text = "changed"
	if _, err := s.PutEntry(c, e, e.Revision); err != nil {
		t.Fatal(err)
	}
	m2 := moved("an update", m1)
	if _, err := s.PutEntries(c, []app.EntryPut{{Entry: newEntry("patient-m", "m-b", day(2))}}); err != nil {
		t.Fatal(err)
	}
	m3 := moved("PutEntries", m2)

	if _, err := s.PutEntry(c, newEntry("patient-other-m", "m-x", day(1)), 0); err != nil {
		t.Fatal(err)
	}
	if got := mark("patient-m"); got != m3 {
		t.Fatalf("another patient's write moved the mark from %+v to %+v", m3, got)
	}
	if _, err := s.RecordTally(c, "patient-m"); err != nil {
		t.Fatal(err)
	}
	if got := mark("patient-m"); got != m3 {
		t.Fatalf("a read moved the mark from %+v to %+v", m3, got)
	}

	if err := s.EraseRecord(c, "patient-m"); err != nil {
		t.Fatal(err)
	}
	m4 := moved("EraseRecord", m3)
	if m4.Epoch == m3.Epoch {
		t.Fatalf("erasure left the epoch at %d", m3.Epoch)
	}
	// A write after the erasure must not land back on a mark from before it.
	if _, err := s.PutEntry(c, newEntry("patient-m", "m-a", day(3)), 0); err != nil {
		t.Fatal(err)
	}
	for _, old := range []app.RecordMark{m0, m1, m2, m3, m4} {
		if got := mark("patient-m"); got == old {
			t.Fatalf("a write after erasure has mark %+v, one the record had before", got)
		}
	}
}
