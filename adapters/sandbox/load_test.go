package sandbox_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kith-health/kith/adapters/sandbox"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
)

func TestPatientsWithoutAnNHSNumberGetADeterministicTestNumber(t *testing.T) {
	bundles := func() [][]byte {
		var out [][]byte
		for _, dob := range []string{"1950-01-01", "1960-02-02", "1970-03-03", "1980-04-04", "1990-05-05"} {
			out = append(out, testRecord{birthDate: dob, observations: 1}.bundle())
		}
		return append(out, testRecord{patientID: "kept", nhsNumber: "9990000018", birthDate: "2000-01-01"}.bundle())
	}
	load := func() []sandbox.Patient {
		sb, err := sandbox.New(sandbox.Config{Bundles: bundles()})
		if err != nil {
			t.Fatal(err)
		}
		return sb.Patients()
	}
	first, again := load(), load()
	seen := map[string]bool{}
	for i, p := range first {
		if _, err := patient.ParseNHSNumber(p.NHSNumber); err != nil || !strings.HasPrefix(p.NHSNumber, "999") {
			t.Errorf("%s: NHS number %q is not a valid test-range number: %v", p.ID, p.NHSNumber, err)
		}
		if seen[p.NHSNumber] {
			t.Errorf("%s: NHS number %s given twice", p.ID, p.NHSNumber)
		}
		seen[p.NHSNumber] = true
		if again[i] != p {
			t.Errorf("loaded twice: %+v then %+v", p, again[i])
		}
	}
	if last := first[len(first)-1]; last.ID != "kept" || last.NHSNumber != "9990000018" || last.BirthDate != "2000-01-01" {
		t.Errorf("a Patient's own NHS number must be kept: %+v", last)
	}
}

func TestTheDerivedNumberIsOnThePatientAndFindsIt(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: [][]byte{testRecord{birthDate: "1950-01-01", observations: 2}.bundle()}})
	p := x.sb.Patients()[0]
	b := x.search("/Patient?identifier=https://fhir.nhs.uk/Id/nhs-number|" + p.NHSNumber)
	if got := b.ids(); len(got) != 1 || got[0] != "Patient/"+p.ID {
		t.Fatalf("matched %v, want Patient/%s", got, p.ID)
	}
	if p.Resources != 1+1+2 {
		t.Errorf("Resources = %d, want 4 (Patient, Practitioner, two Observations)", p.Resources)
	}
}

func TestLoadingResolvesBundleReferencesAndStampsMeta(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: [][]byte{testRecord{birthDate: "1950-01-01", observations: 2}.bundle()}})
	p := x.sb.Patients()[0]
	b := x.search("/Observation?patient=" + p.ID)
	for _, e := range b.Entry {
		var obs struct {
			ID      string
			Meta    struct{ VersionID, LastUpdated string }
			Subject struct{ Reference string }
			Request json.RawMessage
		}
		_ = json.Unmarshal(e.Resource, &obs)
		if obs.Subject.Reference != "Patient/"+p.ID {
			t.Errorf("subject %q, want Patient/%s", obs.Subject.Reference, p.ID)
		}
		if obs.Meta.VersionID != "1" || obs.Meta.LastUpdated != "2025-03-14T09:00:00.000Z" {
			t.Errorf("meta %+v", obs.Meta)
		}
		if strings.Contains(string(e.Resource), "urn:uuid:") {
			t.Errorf("a urn:uuid reference is left: %s", e.Resource)
		}
		if e.FullURL != x.base()+"/Observation/"+obs.ID {
			t.Errorf("fullUrl %s", e.FullURL)
		}
	}
	// The practitioner in the bundle is in the patient's compartment.
	if b := x.search("/Practitioner?patient=" + p.ID); b.Total != 1 {
		t.Errorf("%d practitioners for the patient, want 1", b.Total)
	}
}

func TestNewRefusesWhatIsNotOnePatientsBundle(t *testing.T) {
	twoPatients := `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"a"}},{"resource":{"resourceType":"Patient","id":"b"}}]}`
	for name, b := range map[string]string{
		"not JSON":          `{`,
		"not a Bundle":      `{"resourceType":"Patient","id":"a"}`,
		"no Patient":        `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Organization","id":"o"}}]}`,
		"two Patients":      twoPatients,
		"a bad NHS number":  `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"a","identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9990000019"}]}}]}`,
		"an id FHIR denies": `{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Patient","id":"a b"}}]}`,
	} {
		if _, err := sandbox.New(sandbox.Config{Bundles: [][]byte{[]byte(b)}}); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
	one := testRecord{patientID: "p1", birthDate: "1950-01-01"}.bundle()
	if _, err := sandbox.New(sandbox.Config{Bundles: [][]byte{one, one}}); err == nil {
		t.Error("one patient in two bundles: New succeeded")
	}
	if _, err := sandbox.New(sandbox.Config{}); err == nil {
		t.Error("no bundles: New succeeded")
	}
}

func TestAddAndDeleteReportErrorKinds(t *testing.T) {
	sb, err := sandbox.New(sandbox.Config{Bundles: oneRecord()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Add("nobody", []byte(`{"resourceType":"Observation"}`)); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("unknown patient: %v", err)
	}
	if _, err := sb.Add("p1", []byte(`{"resourceType":"Observation","id":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if _, err := sb.Add("p1", []byte(`{"resourceType":"Observation","id":"x"}`)); !errors.Is(err, fault.ErrConflict) {
		t.Errorf("same id twice: %v", err)
	}
	for _, bad := range []string{`[]`, `{"resourceType":"Patient"}`, `{"resourceType":"Observation","id":"a/b"}`} {
		if _, err := sb.Add("p1", []byte(bad)); !errors.Is(err, fault.ErrInvalid) {
			t.Errorf("Add(%s): %v, want invalid", bad, err)
		}
	}
	if err := sb.Delete("Observation/none"); !errors.Is(err, fault.ErrNotFound) {
		t.Errorf("Delete of nothing: %v", err)
	}
	if err := sb.Delete("Patient/p1"); !errors.Is(err, fault.ErrInvalid) {
		t.Errorf("Delete of the Patient: %v", err)
	}
}

func TestLoadDirKeepsPatientBundlesInNameOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("b.json", testRecord{patientID: "second", birthDate: "1950-01-01"}.bundle())
	write("a.json", testRecord{patientID: "first", birthDate: "1960-01-01"}.bundle())
	write("orgs.json", []byte(`{"resourceType":"Bundle","entry":[{"resource":{"resourceType":"Organization","id":"o"}}]}`))
	write("notes.txt", []byte("not a bundle"))
	bundles, err := sandbox.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	sb, err := sandbox.New(sandbox.Config{Bundles: bundles})
	if err != nil {
		t.Fatal(err)
	}
	if ps := sb.Patients(); len(ps) != 2 || ps[0].ID != "first" || ps[1].ID != "second" {
		t.Errorf("patients %+v", ps)
	}
}
