package record_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/record"
)

// fixturesDir is $KITH_FIXTURES/fhir, read in place. Without KITH_FIXTURES the
// test is skipped, except under CI=true, where the fixtures must be there.
// (domain/ tests cannot use adapters/fixtures: the arrows point inward.)
func fixturesDir(tb testing.TB) string {
	tb.Helper()
	root := os.Getenv("KITH_FIXTURES")
	if root == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatal("KITH_FIXTURES is not set: CI must run the fixture tests (set it to ../shared/fixtures)")
		}
		tb.Skip("KITH_FIXTURES is not set: skipping the tests on the shared FHIR fixtures")
	}
	dir := filepath.Join(root, "fhir")
	if _, err := os.Stat(dir); err != nil {
		tb.Fatalf("KITH_FIXTURES=%s: %v", root, err)
	}
	return dir
}

func readFixture(tb testing.TB, rel string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(fixturesDir(tb), rel))
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// TestFixturesParse runs every fixture file through ParseInput and checks what a
// store would rely on: one resource per entry that has one, bytes exactly as in
// the file, and a category, display and identity for each.
func TestFixturesParse(t *testing.T) {
	dir := fixturesDir(t)
	var files []string
	for _, sub := range []string{"synthea", "ukcore", "hl7-r4-examples"} {
		m, _ := filepath.Glob(filepath.Join(dir, sub, "*.json"))
		files = append(files, m...)
	}
	if len(files) < 30 {
		t.Fatalf("only %d fixture files under %s", len(files), dir)
	}
	rules := record.DefaultSensitivity()
	for _, f := range files {
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got, err := record.ParseInput(data, 1<<20)
			if err != nil {
				t.Fatalf("ParseInput: %v", err)
			}
			if want := resourcesIn(t, data); len(got) != want {
				t.Fatalf("%d resources, want %d", len(got), want)
			}
			cursor := 0 // resources appear in file order, so search on from the last
			for _, in := range got {
				at := bytes.Index(data[cursor:], in.Raw)
				if at < 0 || !json.Valid(in.Raw) {
					t.Fatalf("entry %d: Raw is not the exact bytes of the file", in.Index)
				}
				cursor += at + len(in.Raw)
				if c := record.CategoryOf(in.ResourceType, in.Raw); !slices.Contains(record.Categories, c) {
					t.Fatalf("entry %d: category %q", in.Index, c)
				}
				if d := record.DisplayOf(in.ResourceType, in.Raw); d.Text == "" {
					t.Fatalf("entry %d: empty display", in.Index)
				}
				rules.Classify(in.Raw)
			}
		})
	}
}

// resourcesIn counts a file's resources the plain way: entries with a resource,
// or 1 for a lone resource.
func resourcesIn(t *testing.T, data []byte) int {
	var doc struct {
		ResourceType string `json:"resourceType"`
		Entry        []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ResourceType != "Bundle" {
		return 1
	}
	n := 0
	for _, e := range doc.Entry {
		if len(e.Resource) > 0 && string(e.Resource) != "null" {
			n++
		}
	}
	return n
}

func TestFixturesClassify(t *testing.T) {
	cases := []struct {
		file string
		want []record.Category // one per resource, in order
	}{
		{"ukcore/UKCore-Observation-VitalSigns-BloodPressure-Example.json", []record.Category{record.Vitals}},
		{"ukcore/UKCore-Observation-Lab-WhiteCellCount-Example.json", []record.Category{record.Results}},
		// NEWS2: total score (survey), four vital signs, air or oxygen (no
		// category), two more vital signs, ACVPU (survey).
		{"ukcore/UKCore-Bundle-NEWS2Observations-Example.json", []record.Category{record.Results,
			record.Vitals, record.Vitals, record.Vitals, record.Results, record.Vitals, record.Vitals, record.Results}},
		{"ukcore/UKCore-Patient-RichardSmith-Example.json", []record.Category{record.Demographics}},
		{"ukcore/UKCore-MedicationStatement-Amoxicillin-Example.json", []record.Category{record.Medications}},
		{"ukcore/UKCore-Immunization-InfluenzaVaccine-Example.json", []record.Category{record.Immunizations}},
		{"hl7-r4-examples/Observation-blood-pressure.json", []record.Category{record.Vitals}},
		{"hl7-r4-examples/Bundle-bundle-example.json", []record.Category{record.Medications, record.Medications}},
		{"hl7-r4-examples/Provenance-example.json", []record.Category{record.Administrative}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			ins, err := record.ParseInput(readFixture(t, tc.file), 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []record.Category
			for _, in := range ins {
				got = append(got, record.CategoryOf(in.ResourceType, in.Raw))
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("categories %v, want %v", got, tc.want)
			}
		})
	}
}

func TestFixturesUKCorePatient(t *testing.T) {
	raw := readFixture(t, "ukcore/UKCore-Patient-RichardSmith-Example.json")
	d := record.DisplayOf("Patient", raw)
	if d.Text != "Richard SMITH" || !d.Date.Equal(time.Date(1970, 9, 11, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("display %+v", d)
	}
	if got := record.IdentifierKey(raw); got != "https://fhir.nhs.uk/Id/nhs-number|9912003888" {
		t.Fatalf("identifier key %q", got)
	}
}

func TestFixturesSensitivity(t *testing.T) {
	rules := record.DefaultSensitivity()
	condition := readFixture(t, "ukcore/UKCore-Condition-BleedingFromEar-Example.json")
	medication := readFixture(t, "ukcore/UKCore-MedicationStatement-Amoxicillin-Example.json")

	// The same UK Core condition with a label a source would add for a
	// sexual-health clinic's record.
	var labelled map[string]any
	if err := json.Unmarshal(condition, &labelled); err != nil {
		t.Fatal(err)
	}
	labelled["meta"] = map[string]any{"security": []any{map[string]any{
		"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "SEX"}}}
	labelledRaw, _ := json.Marshal(labelled)

	cases := []struct {
		name       string
		raw        []byte
		want       bool
		wantLabels []string
	}{
		{"UK Core bleeding from ear is not sensitive", condition, false, nil},
		{"UK Core amoxicillin for otitis media is not sensitive", medication, false, nil},
		{"the same condition labelled SEX is", labelledRaw, true, []string{"SEX"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, labels := rules.Classify(tc.raw)
			if got != tc.want || !reflect.DeepEqual(labels, tc.wantLabels) {
				t.Fatalf("Classify = %v, %q; want %v, %q", got, labels, tc.want, tc.wantLabels)
			}
		})
	}
}

// TestFixturesSyntheaAbuseFindingIsSensitive: Synthea's social-determinants
// module records intimate partner abuse as a Condition; it must not be shared
// with a grant that leaves out sensitive data.
func TestFixturesSyntheaAbuseFindingIsSensitive(t *testing.T) {
	dir := fixturesDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "synthea", "*.json"))
	rules := record.DefaultSensitivity()
	found := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ins, err := record.ParseInput(data, 0)
		if err != nil {
			t.Fatalf("%s: %v", filepath.Base(f), err)
		}
		for _, in := range ins {
			if in.ResourceType != "Condition" || !bytes.Contains(in.Raw, []byte(`"706893006"`)) {
				continue
			}
			found++
			if sensitive, _ := rules.Classify(in.Raw); !sensitive {
				t.Errorf("%s entry %d: intimate partner abuse not sensitive", filepath.Base(f), in.Index)
			}
		}
	}
	if found == 0 {
		t.Fatal("no Synthea condition 706893006 found: fixtures changed?")
	}
}

// TestFixturesSyntheaClaimsStayApart: every Synthea ExplanationOfBenefit carries
// the same claim-group identifier; each must still be its own entry.
func TestFixturesSyntheaClaimsStayApart(t *testing.T) {
	ins, err := record.ParseInput(readFixture(t, "synthea/Dino214_Parisian75_40d82b80-b682-cd8b-da6d-396809878641.json"), 0)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	eobs := 0
	for i, key := range record.DeliveryIdentifierKeys(ins) {
		if ins[i].ResourceType != "ExplanationOfBenefit" {
			continue
		}
		eobs++
		ids[record.EntryID("p1", ins[i].ResourceType, key, "synthea", ins[i].ID)] = true
	}
	if eobs < 2 || len(ids) != eobs {
		t.Fatalf("%d explanations of benefit became %d entries", eobs, len(ids))
	}
}

// BenchmarkParseAndClassify parses the largest Synthea bundle and classifies,
// labels and displays every resource, as ingest does.
func BenchmarkParseAndClassify(b *testing.B) {
	dir := fixturesDir(b)
	files, _ := filepath.Glob(filepath.Join(dir, "synthea", "*.json"))
	var largest string
	var size int64
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Size() > size {
			largest, size = f, fi.Size()
		}
	}
	if largest == "" {
		b.Fatalf("no Synthea bundles under %s", dir)
	}
	data, err := os.ReadFile(largest)
	if err != nil {
		b.Fatal(err)
	}
	rules := record.DefaultSensitivity()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	resources := 0
	for b.Loop() {
		ins, err := record.ParseInput(data, 1<<20)
		if err != nil {
			b.Fatal(err)
		}
		for _, in := range ins {
			record.CategoryOf(in.ResourceType, in.Raw)
			rules.Classify(in.Raw)
			record.DisplayOf(in.ResourceType, in.Raw)
		}
		resources += len(ins)
	}
	b.ReportMetric(float64(resources)/b.Elapsed().Seconds(), "resources/s")
}
