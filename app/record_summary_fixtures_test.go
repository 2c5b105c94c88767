package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kith-health/kith/adapters/fixtures"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/record"
)

// rawResource is the little of a FHIR resource this test reads, decoded on its own
// terms rather than through the rules under test.
type rawResource struct {
	ResourceType   string `json:"resourceType"`
	ID             string `json:"id"`
	Status         string `json:"status"`
	ClinicalStatus struct {
		Coding []struct{ Code string } `json:"coding"`
	} `json:"clinicalStatus"`
	VerificationStatus struct {
		Coding []struct{ Code string } `json:"coding"`
	} `json:"verificationStatus"`
	Criticality string `json:"criticality"`
	Reaction    []struct {
		Manifestation []json.RawMessage `json:"manifestation"`
	} `json:"reaction"`
	DosageInstruction []json.RawMessage `json:"dosageInstruction"`
	Dosage            []json.RawMessage `json:"dosage"`
	ValueQuantity     *struct {
		Value json.Number `json:"value"`
		Unit  string      `json:"unit"`
	} `json:"valueQuantity"`
}

func code(c struct {
	Coding []struct{ Code string } `json:"coding"`
}) string {
	if len(c.Coding) == 0 {
		return ""
	}
	return c.Coding[0].Code
}

// activeCounts counts, straight from a bundle, the active allergies (clinical
// status active or absent, not refuted or entered in error), current medicines
// (MedicationRequest active or on-hold; MedicationStatement active, intended or
// on-hold) and active problems (active, recurrence or relapse, not refuted).
func activeCounts(t *testing.T, data []byte) map[record.Section]int {
	t.Helper()
	counts := map[record.Section]int{}
	for _, raw := range resourcesIn(t, data) {
		var r rawResource
		if err := json.Unmarshal(raw, &r); err != nil {
			t.Fatal(err)
		}
		refuted := slices.Contains([]string{"refuted", "entered-in-error"}, code(r.VerificationStatus))
		switch clinical := code(r.ClinicalStatus); r.ResourceType {
		case "AllergyIntolerance":
			if (clinical == "" || clinical == "active") && !refuted {
				counts[record.SectionAllergies]++
			}
		case "Condition":
			if slices.Contains([]string{"active", "recurrence", "relapse"}, clinical) && !refuted {
				counts[record.SectionProblems]++
			}
		case "MedicationRequest":
			if r.Status == "active" || r.Status == "on-hold" {
				counts[record.SectionMedications]++
			}
		case "MedicationStatement":
			if slices.Contains([]string{"active", "intended", "on-hold"}, r.Status) {
				counts[record.SectionMedications]++
			}
		}
	}
	return counts
}

// For every Synthea and UK Core bundle, uploaded by the patient it is about, the
// summary lists every active allergy, medicine and problem the bundle holds, with
// the detail a clinician needs beside each, and the IPS document is valid R4.
func TestTheSummaryListsEveryActiveAllergyMedicineAndProblem(t *testing.T) {
	schema := compileSchema(t)
	checked := 0
	for _, file := range fixtures.Bundles(t) {
		dir, base := filepath.Base(filepath.Dir(file)), filepath.Base(file)
		if (dir != "synthea" && dir != "ukcore") || strings.Contains(base, "Information") {
			continue
		}
		checked++
		t.Run(dir+"/"+base, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			a, p, caller := recordAppAs(t, claimsFor(t, "summary-patient", data))
			if _, err := a.Ingest(ctx, p, app.Delivery{Source: "exchange-a", Data: data}); err != nil {
				t.Fatalf("ingest: %v", err)
			}
			s, err := a.RecordSummary(ctx, caller, app.RecordRef{})
			if err != nil {
				t.Fatal(err)
			}
			want := activeCounts(t, data)
			for _, sec := range s.Sections {
				if !sec.Shared {
					t.Fatalf("the patient's own %s section is not shared with them", sec.Section)
				}
				if n, ok := want[sec.Section]; ok || sec.Section.IsCurrentState() && sec.Section != record.SectionCarePlans {
					if sec.Current != n || len(sec.Items) != min(n, sec.Section.Listed()) {
						t.Errorf("%s: %d current, %d listed; the bundle holds %d active", sec.Section, sec.Current, len(sec.Items), n)
					}
				}
				for _, item := range sec.Items {
					e, err := a.RecordEntry(ctx, caller, app.RecordRef{}, item.ID)
					if err != nil {
						t.Fatal(err)
					}
					checkDetail(t, sec.Section, item, e.Resource)
				}
			}

			doc, err := a.RecordIPS(ctx, caller, app.RecordRef{})
			if err != nil {
				t.Fatal(err)
			}
			parsed, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
			if err != nil {
				t.Fatalf("the IPS is not JSON: %v", err)
			}
			if err := schema.Validate(parsed); err != nil {
				t.Fatalf("the IPS is not a valid FHIR R4 Bundle: %.2000v", err)
			}
			checkIPS(t, doc, want)
		})
	}
	if checked == 0 {
		t.Fatal("no Synthea or UK Core bundles found")
	}
}

// checkDetail fails when a listed item leaves out what its resource says a
// clinician needs: an allergy's criticality and reactions, a medicine's dose, a
// result's value and unit.
func checkDetail(t *testing.T, sec record.Section, item record.Entry, resource []byte) {
	t.Helper()
	var r rawResource
	dec := json.NewDecoder(bytes.NewReader(resource))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	d := item.Clinical.Detail
	switch {
	case sec == record.SectionAllergies && r.Criticality != "" && d.Criticality != r.Criticality:
		t.Errorf("allergy %q shows criticality %q, its resource says %q", item.Display.Text, d.Criticality, r.Criticality)
	case sec == record.SectionAllergies && len(r.Reaction) != len(d.Reactions):
		t.Errorf("allergy %q shows %d reactions, its resource has %d", item.Display.Text, len(d.Reactions), len(r.Reaction))
	case sec == record.SectionMedications && len(r.DosageInstruction)+len(r.Dosage) > 0 && d.Dosage == "":
		t.Errorf("medicine %q shows no dose, though its resource gives one", item.Display.Text)
	case sec == record.SectionMedications && (item.Display.Text == "" || strings.Contains(item.Display.Text, r.ResourceType)):
		t.Errorf("a medicine is shown as %q", item.Display.Text)
	case sec == record.SectionResults && r.ValueQuantity != nil &&
		(!strings.Contains(d.Value, trimNumber(r.ValueQuantity.Value)) || !strings.Contains(d.Value, r.ValueQuantity.Unit)):
		t.Errorf("result %q shows %q, its resource says %s %s", item.Display.Text, d.Value, r.ValueQuantity.Value, r.ValueQuantity.Unit)
	}
}

// trimNumber is how a decimal reads without trailing zeros ("5.40" reads "5.4").
func trimNumber(n json.Number) string {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return string(n)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// checkIPS fails unless the document's Composition cites, in its allergy,
// medicine and problem sections, as many resources as the bundle has active ones,
// and says "unavailable" for a section with none.
func checkIPS(t *testing.T, doc []byte, want map[record.Section]int) {
	t.Helper()
	var bundle struct {
		Type  string `json:"type"`
		Entry []struct {
			FullURL  string `json:"fullUrl"`
			Resource struct {
				ResourceType string `json:"resourceType"`
				Section      []struct {
					Code struct {
						Coding []struct{ Code string } `json:"coding"`
					} `json:"code"`
					Entry       []struct{ Reference string } `json:"entry"`
					EmptyReason *struct {
						Coding []struct{ Code string } `json:"coding"`
					} `json:"emptyReason"`
				} `json:"section"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(doc, &bundle); err != nil {
		t.Fatal(err)
	}
	if bundle.Type != "document" || len(bundle.Entry) < 2 || bundle.Entry[0].Resource.ResourceType != "Composition" {
		t.Fatalf("the IPS is not a document Bundle led by its Composition")
	}
	inBundle := map[string]bool{}
	for _, e := range bundle.Entry {
		inBundle[e.FullURL] = true
	}
	loinc := map[string]record.Section{"48765-2": record.SectionAllergies, "10160-0": record.SectionMedications, "11450-4": record.SectionProblems}
	seen := 0
	for _, sec := range bundle.Entry[0].Resource.Section {
		s, ok := loinc[sec.Code.Coding[0].Code]
		if !ok {
			continue
		}
		seen++
		if n := min(want[s], s.Listed()); len(sec.Entry) != n {
			t.Errorf("IPS %s cites %d resources, want %d", s, len(sec.Entry), n)
		}
		if len(sec.Entry) == 0 && (sec.EmptyReason == nil || sec.EmptyReason.Coding[0].Code != "unavailable") {
			t.Errorf("IPS %s is empty without saying none is recorded", s)
		}
		for _, ref := range sec.Entry {
			if !inBundle[ref.Reference] {
				t.Errorf("IPS %s cites %s, which is not in the Bundle", s, ref.Reference)
			}
		}
	}
	if seen != 3 {
		t.Errorf("the IPS has %d of the three required sections", seen)
	}
}
