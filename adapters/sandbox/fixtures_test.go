package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/kith-health/kith/adapters/fixtures"
	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/domain/patient"
)

// The shared Synthea bundles, read in place: skipped without KITH_FIXTURES, a
// failure under CI.
func syntheaBundles(t *testing.T) [][]byte {
	t.Helper()
	bundles, err := sandbox.LoadDir(filepath.Join(fixtures.Dir(t), "synthea"))
	if err != nil {
		t.Fatal(err)
	}
	return bundles
}

func TestSyntheaFixturesAreServedWhole(t *testing.T) {
	bundles := syntheaBundles(t)
	x := start(t, sandbox.Config{Bundles: bundles})
	patients := x.sb.Patients()
	if len(patients) != len(bundles) || len(patients) < 10 {
		t.Fatalf("%d patients from %d bundles", len(patients), len(bundles))
	}
	for i, p := range patients {
		var b struct{ Entry []json.RawMessage }
		_ = json.Unmarshal(bundles[i], &b)
		if _, err := patient.ParseNHSNumber(p.NHSNumber); err != nil || p.BirthDate == "" {
			t.Errorf("%s: NHS number %q (%v), birth date %q", p.ID, p.NHSNumber, err, p.BirthDate)
		}
		// Organisations two bundles share are stored once but belong to both.
		if p.Resources != len(b.Entry) {
			t.Errorf("%s: serves %d resources, its bundle has %d", p.ID, p.Resources, len(b.Entry))
		}
	}
}

func TestSyntheaEverythingPagesThroughTheWholeRecord(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: syntheaBundles(t)})
	largest := x.sb.Patients()[0]
	for _, p := range x.sb.Patients() {
		if p.Resources > largest.Resources {
			largest = p
		}
	}
	seen := map[string]bool{}
	for _, page := range x.searchAll("/Patient/" + largest.ID + "/$everything?_count=100") {
		for i, e := range page.Entry {
			if bytes.Contains(e.Resource, []byte(`"urn:uuid:`)) {
				t.Fatalf("a urn:uuid reference is left in %s", page.ids()[i])
			}
		}
		for _, id := range page.ids() {
			if seen[id] {
				t.Fatalf("%s twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != largest.Resources {
		t.Errorf("$everything gave %d of %d", len(seen), largest.Resources)
	}
	obs := 0
	for _, page := range x.searchAll(fmt.Sprintf("/Observation?patient=%s&_count=200", largest.ID)) {
		obs += len(page.Entry)
		if page.Total < 1000 {
			t.Fatalf("total %d: the largest fixture has over a thousand observations", page.Total)
		}
	}
	if obs < 1000 {
		t.Errorf("%d observations paged", obs)
	}
	// Each Synthea patient is found by their (derived) NHS number.
	for _, p := range x.sb.Patients() {
		b := x.search("/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + p.NHSNumber)
		if got := b.ids(); len(got) != 1 || got[0] != "Patient/"+p.ID {
			t.Errorf("%s: matched %v", p.ID, got)
		}
	}
}
