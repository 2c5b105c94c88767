package record_test

import (
	"slices"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/record"
)

func TestWithdrawBySource(t *testing.T) {
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	allergy := []byte(`{"resourceType":"AllergyIntolerance","id":"a1","clinicalStatus":{"coding":[{"code":"active"}]},"code":{"text":"Penicillin"}}`)
	display, clinical := record.Read("AllergyIntolerance", allergy, nil)
	if !clinical.Current {
		t.Fatal("the test allergy should read as current")
	}
	one := record.Entry{ResourceType: "AllergyIntolerance", Resource: allergy, Display: display, Clinical: clinical,
		Provenances: []record.Provenance{{Source: "lcr", SourceID: "AllergyIntolerance/a1"}}}

	out, changed := record.Withdraw(one, "lcr", "AllergyIntolerance/a1", now)
	if !changed || !slices.Contains(out.Flags, record.WithdrawnBySource) || out.Clinical.Current || out.Clinical.Section != clinical.Section {
		t.Fatalf("withdrawn by its only source: changed=%v flags=%v clinical=%+v", changed, out.Flags, out.Clinical)
	}
	if _, again := record.Withdraw(out, "lcr", "AllergyIntolerance/a1", now); again {
		t.Error("withdrawing twice changed the entry again")
	}
	if _, other := record.Withdraw(one, "gncr", "AllergyIntolerance/a1", now); other {
		t.Error("a source that never delivered it withdrew it")
	}

	two := one
	two.Provenances = append(slices.Clone(one.Provenances), record.Provenance{Source: "gncr", SourceID: "AllergyIntolerance/9"})
	out, changed = record.Withdraw(two, "lcr", "AllergyIntolerance/a1", now)
	if !changed || len(out.Provenances) != 1 || out.Provenances[0].Source != "gncr" || !out.Clinical.Current || len(out.Flags) != 0 {
		t.Fatalf("withdrawn by one of two sources: %+v", out)
	}

	// Delivered again by the source, the entry is current once more.
	back, change := record.Merge(&out, one)
	_ = back
	if change == record.Unchanged {
		t.Error("a re-delivery of a withdrawn entry changed nothing")
	}
}
