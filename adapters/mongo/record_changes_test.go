package mongo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/mongo/mongotest"
	"github.com/kith-health/kith/domain/record"
)

// The change feed must not pass a number still being written, however long the write
// takes, nor wait for ever on a writer that died. The conformance suite cannot stop a
// write half way, so this takes numbers the way PutEntry does and holds on to them.
func TestChangesWaitForWritesInFlight(t *testing.T) {
	t.Parallel()
	uri, backend := mongotest.URI(t)
	t.Logf("store backend: %s", backend)
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := Open(c, uri, mongotest.Database(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	if _, err := s.Migrate(c); err != nil {
		t.Fatal(err)
	}
	const patient = "patient-f"
	put := func(id string) record.Entry {
		t.Helper()
		e, err := s.PutEntry(c, record.Entry{ID: id, PatientID: patient, ResourceType: "Observation", Resource: []byte(`{}`)}, 0)
		if err != nil {
			t.Fatalf("PutEntry(%s): %v", id, err)
		}
		return e
	}
	feed := func(after int64) string {
		t.Helper()
		changes, _, err := s.ChangesForDisclosure(c, patient, after, 100)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range changes {
			seqs = append(seqs, e.ChangeSeq)
		}
		return fmt.Sprint(seqs)
	}

	put("a") // 1
	seq, release, err := s.takeChangeSeq(c, patient, time.Now())
	if err != nil || seq != 2 {
		t.Fatalf("takeChangeSeq = %d, %v; want 2", seq, err)
	}
	put("b") // 3
	if got := feed(0); got != "[1]" {
		t.Fatalf("feed with change 2 still being written = %s, want [1]: it must stop before 2", got)
	}
	release() // the write of 2 failed: its number is never used
	if got := feed(0); got != "[1 3]" {
		t.Fatalf("feed once change 2 was let go = %s, want [1 3]", got)
	}

	// A writer that took 4 and died: its mark holds the feed up until it is older
	// than inFlightFor, then is taken as dead.
	if _, _, err := s.takeChangeSeq(c, patient, time.Now().Add(-inFlightFor-time.Second)); err != nil {
		t.Fatal(err)
	}
	put("c") // 5
	if got := feed(3); got != "[5]" {
		t.Fatalf("feed past a dead writer's number = %s, want [5]", got)
	}

	// A mark older than staleAfter is cleared by the next writer; younger ones stay.
	if _, _, err := s.takeChangeSeq(c, patient, time.Now().Add(-staleAfter-time.Second)); err != nil {
		t.Fatal(err)
	}
	put("d")
	state, err := s.recordState(c, patient)
	if err != nil {
		t.Fatal(err)
	}
	if len(state.Pending) != 1 {
		t.Fatalf("%d marks pending, want only the dead writer's younger one", len(state.Pending))
	}
}
