package storetest

import (
	"bytes"
	"testing"

	"github.com/kith-health/kith/app"
)

// testSummaryDocs checks what a summary read relies on: a slot holds the doc kept
// last, erasure deletes every doc of the record, and a doc kept for an epoch an
// erasure has moved past is not kept at all.
func testSummaryDocs(t *testing.T, open Open) {
	s := openStore(t, open)
	c := ctx(t)
	get := func(patientID, slot string) app.SummaryDoc {
		t.Helper()
		d, err := s.SummaryDoc(c, patientID, slot)
		if err != nil {
			t.Fatalf("SummaryDoc(%s, %s): %v", patientID, slot, err)
		}
		return d
	}
	keep := func(patientID string, d app.SummaryDoc) {
		t.Helper()
		if err := s.KeepSummaryDoc(c, patientID, d); err != nil {
			t.Fatalf("KeepSummaryDoc(%s, %+v): %v", patientID, d, err)
		}
	}
	if d := get("patient-d", "own"); d.Version != "" || d.Doc != nil {
		t.Fatalf("a slot never kept holds %+v, want nothing", d)
	}

	// The zero mark (no record yet) has epoch 0.
	keep("patient-d", app.SummaryDoc{Slot: "own", Version: "v0", Epoch: 0, Doc: []byte("empty")})
	if _, err := s.PutEntry(c, newEntry("patient-d", "d-a", day(1)), 0); err != nil {
		t.Fatal(err)
	}
	m, err := s.RecordMark(c, "patient-d")
	if err != nil {
		t.Fatal(err)
	}
	keep("patient-d", app.SummaryDoc{Slot: "own", Version: "v1", Epoch: m.Epoch, Doc: []byte{0, 1, 2, 255}})
	keep("patient-d", app.SummaryDoc{Slot: "org", Version: "v1-org", Epoch: m.Epoch, Doc: []byte("org")})
	keep("patient-other-d", app.SummaryDoc{Slot: "own", Version: "w1", Epoch: 0, Doc: []byte("other")})
	if d := get("patient-d", "own"); d.Version != "v1" || d.Epoch != m.Epoch || !bytes.Equal(d.Doc, []byte{0, 1, 2, 255}) {
		t.Fatalf("slot own holds %+v, want the doc kept last (v1)", d)
	}
	if d := get("patient-d", "org"); d.Version != "v1-org" {
		t.Fatalf("slot org holds %+v, want v1-org", d)
	}

	if err := s.EraseRecord(c, "patient-d"); err != nil {
		t.Fatal(err)
	}
	for _, slot := range []string{"own", "org"} {
		if d := get("patient-d", slot); d.Version != "" {
			t.Fatalf("after erasure slot %s holds %+v, want nothing", slot, d)
		}
	}
	if d := get("patient-other-d", "own"); d.Version != "w1" {
		t.Fatalf("another patient's erasure took this patient's doc: %+v", d)
	}
	// A read that began before the erasure keeps its doc after it: it must not stay.
	keep("patient-d", app.SummaryDoc{Slot: "own", Version: "v1-late", Epoch: m.Epoch, Doc: []byte("late")})
	if d := get("patient-d", "own"); d.Version != "" {
		t.Fatalf("a doc kept for the epoch before the erasure stayed: %+v", d)
	}
	after, err := s.RecordMark(c, "patient-d")
	if err != nil {
		t.Fatal(err)
	}
	keep("patient-d", app.SummaryDoc{Slot: "own", Version: "v2", Epoch: after.Epoch, Doc: []byte("new")})
	if d := get("patient-d", "own"); d.Version != "v2" {
		t.Fatalf("a doc kept for the record's epoch now was not kept: %+v", d)
	}
}
