package synthetic_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kith-health/kith/adapters/synthetic"
)

// now anchors every record here, so the tests see the same bytes on any day.
var now = time.Date(2026, time.March, 14, 10, 30, 0, 0, time.UTC)

// The demo cast's patients, as in app/demo_roster.go (which has no gender; these
// are what development mode passes).
var (
	amelia = synthetic.Person{NHSNumber: "9990000018", GivenName: "Amelia", FamilyName: "Hughes", BirthDate: "1987-06-05", Gender: "female"}
	oliver = synthetic.Person{NHSNumber: "9990000026", GivenName: "Oliver", FamilyName: "Bennett", BirthDate: "1971-11-30", Gender: "male"}
	priya  = synthetic.Person{NHSNumber: "9990000034", GivenName: "Priya", FamilyName: "Shah", BirthDate: "1984-02-17", Gender: "female"}
	// child and unknown cover the paths the cast does not: no adult bloods or
	// COVID vaccines, growth; no sex-specific ranges.
	child   = synthetic.Person{NHSNumber: "9990000042", GivenName: "Ravi", FamilyName: "Shah", BirthDate: "2016-09-02", Gender: "male"}
	unknown = synthetic.Person{NHSNumber: "9990000050", GivenName: "Sam", FamilyName: "Jones", BirthDate: "1958-01-20"}
	people  = []synthetic.Person{amelia, oliver, priya, child, unknown}
)

type bundle struct {
	ResourceType string `json:"resourceType"`
	Type         string `json:"type"`
	Entry        []struct {
		FullURL  string          `json:"fullUrl"`
		Resource json.RawMessage `json:"resource"`
	} `json:"entry"`
}

// res is the part of every resource the tests look at, plus the whole of it.
type res struct {
	ResourceType string `json:"resourceType"`
	ID           string `json:"id"`
	Meta         struct {
		VersionID   string `json:"versionId"`
		LastUpdated string `json:"lastUpdated"`
		Security    []struct {
			System, Code string
		} `json:"security"`
	} `json:"meta"`
	Identifier []struct {
		System, Value string
	} `json:"identifier"`
	Category json.RawMessage `json:"category"`
	raw      json.RawMessage
	tree     map[string]any
}

func demo(t testing.TB, p synthetic.Person) []byte {
	t.Helper()
	b, err := synthetic.Demo(p, now)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, raw []byte) []res {
	t.Helper()
	var b bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	if b.ResourceType != "Bundle" || b.Type != "collection" {
		t.Fatalf("got a %s of type %q, want a collection Bundle", b.ResourceType, b.Type)
	}
	out := make([]res, 0, len(b.Entry))
	for _, e := range b.Entry {
		var r res
		if err := json.Unmarshal(e.Resource, &r); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(e.Resource, &r.tree); err != nil {
			t.Fatal(err)
		}
		if want := "https://kith.example/synthetic/fhir/" + r.ResourceType + "/" + r.ID; e.FullURL != want {
			t.Errorf("fullUrl %q, want %q", e.FullURL, want)
		}
		r.raw = e.Resource
		out = append(out, r)
	}
	return out
}

func counts(rs []res) map[string]int {
	m := map[string]int{}
	for _, r := range rs {
		m[r.ResourceType]++
	}
	return m
}

func TestRecordIsDeterministic(t *testing.T) {
	for _, p := range people {
		a, b := demo(t, p), demo(t, p)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: two calls gave different records", p.GivenName)
		}
	}
	seen := map[string]string{}
	for _, p := range people {
		b := demo(t, p)
		if other, dup := seen[string(b)]; dup {
			t.Errorf("%s and %s have the same record", p.GivenName, other)
		}
		seen[string(b)] = p.GivenName
	}
	other, err := synthetic.Record(amelia, synthetic.Options{Seed: 7, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, demo(t, amelia)) {
		t.Error("another seed gave the same record")
	}
}

// TestDemoRecordHasEveryPart checks a Scale 1 record is the believable whole the
// demo needs: every kind of resource, coded the way the app reads them.
func TestDemoRecordHasEveryPart(t *testing.T) {
	for _, p := range people {
		t.Run(p.GivenName, func(t *testing.T) {
			raw := demo(t, p)
			rs := parse(t, raw)
			t.Logf("%d resources, %d bytes: %v", len(rs), len(raw), counts(rs))
			// Roughly 60 to 120; an older patient's vaccines and blood tests can
			// take a record a little over.
			if n := len(rs); n < 60 || n > 140 {
				t.Errorf("%d resources, want roughly 60 to 120", n)
			}
			c := counts(rs)
			for _, typ := range []string{"Patient", "Condition", "MedicationRequest", "MedicationStatement",
				"AllergyIntolerance", "Immunization", "Observation", "DiagnosticReport", "Encounter",
				"Procedure", "DocumentReference", "CarePlan"} {
				if c[typ] == 0 {
					t.Errorf("no %s", typ)
				}
			}
			if c["Patient"] != 1 {
				t.Errorf("%d Patients, want 1", c["Patient"])
			}
			var lab, vital, bp, psy, flu, covid int
			classes := map[string]bool{}
			for _, r := range rs {
				cat := string(r.Category)
				switch r.ResourceType {
				case "Patient":
					checkPatient(t, r, p)
				case "Observation":
					if strings.Contains(cat, `"laboratory"`) {
						lab++
						checkQuantity(t, r, "valueQuantity")
					}
					if strings.Contains(cat, `"vital-signs"`) {
						vital++
						if str(r.tree, "code", "coding", 0, "code") == "85354-9" {
							bp++
							if len(arr(r.tree, "component")) != 2 {
								t.Errorf("blood pressure %s has %d components, want 2", r.ID, len(arr(r.tree, "component")))
							}
						} else {
							checkQuantity(t, r, "valueQuantity")
						}
					}
				case "Condition":
					if str(r.tree, "clinicalStatus", "coding", 0, "code") == "" {
						t.Errorf("condition %s has no clinicalStatus", r.ID)
					}
				case "DiagnosticReport":
					if len(arr(r.tree, "result")) == 0 {
						t.Errorf("report %s has no results", r.ID)
					}
				case "Encounter":
					classes[str(r.tree, "class", "code")] = true
				case "Immunization":
					if strings.Contains(string(r.raw), "Influenza vaccine") {
						flu++
					}
					if strings.Contains(string(r.raw), "COVID-19") {
						covid++
					}
				case "DocumentReference":
					checkLetter(t, r, p)
				}
				for _, s := range r.Meta.Security {
					if s.Code == "PSY" && s.System == "http://terminology.hl7.org/CodeSystem/v3-ActCode" {
						psy++
						if r.ResourceType != "Condition" || str(r.tree, "code", "coding", 0, "code") != "35489007" {
							t.Errorf("PSY label on %s %s, want it on the depressive disorder", r.ResourceType, r.ID)
						}
					}
				}
			}
			if lab == 0 || vital == 0 || bp == 0 {
				t.Errorf("%d laboratory, %d vital signs (%d blood pressures), want some of each", lab, vital, bp)
			}
			if psy != 1 {
				t.Errorf("%d resources labelled PSY, want exactly 1", psy)
			}
			if flu < 4 {
				t.Errorf("%d flu vaccines in five years, want one a year", flu)
			}
			if p != child && covid == 0 {
				t.Error("an adult with no COVID-19 vaccine")
			}
			for _, class := range []string{"AMB", "EMER", "IMP"} {
				if !classes[class] {
					t.Errorf("no %s encounter", class)
				}
			}
			// Nothing but the labelled condition may name the diagnosis.
			for _, r := range rs {
				if len(r.Meta.Security) > 0 {
					continue
				}
				text := bytes.ToLower(r.raw)
				if r.ResourceType == "DocumentReference" {
					text = bytes.ToLower(letterOf(t, r))
				}
				if bytes.Contains(text, []byte("35489007")) || bytes.Contains(text, []byte("depress")) {
					t.Errorf("%s %s gives the depression away", r.ResourceType, r.ID)
				}
			}
		})
	}
}

func checkPatient(t *testing.T, r res, p synthetic.Person) {
	t.Helper()
	if r.Identifier[0].System != "https://fhir.nhs.uk/Id/nhs-number" || r.Identifier[0].Value != p.NHSNumber {
		t.Errorf("patient identifier %v, want the NHS number first", r.Identifier[0])
	}
	if str(r.tree, "birthDate") != p.BirthDate || str(r.tree, "name", 0, "family") != p.FamilyName ||
		str(r.tree, "name", 0, "given", 0) != p.GivenName {
		t.Errorf("patient %s does not match the person", r.raw)
	}
	want := p.Gender
	if want == "" {
		want = "unknown"
	}
	if str(r.tree, "gender") != want {
		t.Errorf("gender %q, want %q", str(r.tree, "gender"), want)
	}
}

func checkQuantity(t *testing.T, r res, key string) {
	t.Helper()
	q, ok := r.tree[key].(map[string]any)
	if !ok || q["system"] != "http://unitsofmeasure.org" || q["code"] == "" || q["value"] == nil {
		t.Errorf("observation %s: %s %v, want a UCUM quantity", r.ID, key, r.tree[key])
	}
}

func letterOf(t *testing.T, r res) []byte {
	t.Helper()
	text, err := base64.StdEncoding.DecodeString(str(r.tree, "content", 0, "attachment", "data"))
	if err != nil {
		t.Fatal(err)
	}
	return text
}

func checkLetter(t *testing.T, r res, p synthetic.Person) {
	t.Helper()
	if ct := str(r.tree, "content", 0, "attachment", "contentType"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("letter content type %q, want text/plain", ct)
	}
	if text := letterOf(t, r); !bytes.Contains(text, []byte(p.FamilyName)) || !bytes.Contains(text, []byte("pneumonia")) {
		t.Errorf("letter does not read like this patient's discharge summary:\n%s", text)
	}
}

// TestEveryResourceIsIdentified checks what re-ingest and the store rely on: a
// unique id, version 1, a last-updated time not after now, and the synthetic
// identifier equal to the id. It also checks that no date is in the future.
func TestEveryResourceIsIdentified(t *testing.T) {
	for _, p := range people {
		rs := parse(t, demo(t, p))
		ids := map[string]bool{}
		for _, r := range rs {
			if ids[r.ID] {
				t.Errorf("%s: id %s twice", p.GivenName, r.ID)
			}
			ids[r.ID] = true
			if r.Meta.VersionID != "1" {
				t.Errorf("%s/%s: versionId %q", r.ResourceType, r.ID, r.Meta.VersionID)
			}
			i := slices.IndexFunc(r.Identifier, func(id struct{ System, Value string }) bool {
				return id.System == "https://kith.example/synthetic"
			})
			if i < 0 || r.Identifier[i].Value != r.ID {
				t.Errorf("%s/%s: no synthetic identifier equal to the id", r.ResourceType, r.ID)
			}
			walkDates(t, r.tree, "", func(path, s string) {
				d, err := time.Parse(time.RFC3339, s)
				if err != nil {
					d, err = time.Parse(time.DateOnly, s)
				}
				if err != nil {
					t.Errorf("%s/%s %s: %q is not a date", r.ResourceType, r.ID, path, s)
				} else if d.After(now) {
					t.Errorf("%s/%s %s: %s is after now", r.ResourceType, r.ID, path, s)
				}
			})
			if _, err := time.Parse(time.RFC3339, r.Meta.LastUpdated); err != nil {
				t.Errorf("%s/%s: lastUpdated %q", r.ResourceType, r.ID, r.Meta.LastUpdated)
			}
		}
	}
}

var dateLike = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(T.*)?$`)

// walkDates calls f with every date-like string in v, except a vaccine's expiry,
// which is rightly in the future.
func walkDates(t *testing.T, v any, path string, f func(path, s string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k != "expirationDate" {
				walkDates(t, x, path+"."+k, f)
			}
		}
	case []any:
		for _, x := range v {
			walkDates(t, x, path, f)
		}
	case string:
		if dateLike.MatchString(v) {
			f(path, v)
		}
	}
}

var relativeRef = regexp.MustCompile(`^[A-Z][A-Za-z]+/[A-Za-z0-9\-.]{1,64}$`)

func TestReferencesResolveWithinTheBundle(t *testing.T) {
	for _, p := range people {
		rs := parse(t, demo(t, p))
		have := map[string]bool{}
		for _, r := range rs {
			have[r.ResourceType+"/"+r.ID] = true
		}
		n := 0
		for _, r := range rs {
			walkRefs(r.tree, func(ref string) {
				n++
				if !relativeRef.MatchString(ref) {
					t.Errorf("%s/%s: reference %q is not Type/id", r.ResourceType, r.ID, ref)
				} else if !have[ref] {
					t.Errorf("%s/%s: reference %q is not in the bundle", r.ResourceType, r.ID, ref)
				}
			})
		}
		if n < len(rs) {
			t.Errorf("%s: only %d references among %d resources", p.GivenName, n, len(rs))
		}
	}
}

func walkRefs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "reference" {
				f(s)
			} else {
				walkRefs(x, f)
			}
		}
	case []any:
		for _, x := range v {
			walkRefs(x, f)
		}
	}
}

// TestRecordValidatesAgainstFHIRSchema validates whole bundles against the
// official FHIR R4 JSON schema, which rejects unknown elements and wrong types.
func TestRecordValidatesAgainstFHIRSchema(t *testing.T) {
	schema := fhirSchema(t)
	records := [][]byte{}
	for _, p := range people {
		records = append(records, demo(t, p))
	}
	big, err := synthetic.Record(oliver, synthetic.Options{Seed: 3, Years: 12, Now: now, Scale: 3})
	if err != nil {
		t.Fatal(err)
	}
	records = append(records, big)
	for i, raw := range records {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("record %d: %v", i, err)
		}
	}
}

// TestSchemaValidationBites makes sure the validation above is real: a record with
// an element R4 does not have, or a value of the wrong type, fails it.
func TestSchemaValidationBites(t *testing.T) {
	schema := fhirSchema(t)
	for name, spoil := range map[string]func(r map[string]any){
		"unknown element": func(r map[string]any) { r["colour"] = "blue" },
		"wrong type":      func(r map[string]any) { r["status"] = 1 },
		"bad date":        func(r map[string]any) { r["effectiveDateTime"] = "14/03/2026" },
	} {
		var b map[string]any
		if err := json.Unmarshal(demo(t, amelia), &b); err != nil {
			t.Fatal(err)
		}
		for _, e := range b["entry"].([]any) {
			if r := e.(map[string]any)["resource"].(map[string]any); r["resourceType"] == "Observation" {
				spoil(r)
				break
			}
		}
		raw, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if schema.Validate(doc) == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// fhirSchema compiles $KITH_FIXTURES/fhir/fhir.schema.json, once. The fixtures are
// read in place (DESIGN.md section 6): without them the test skips, except in CI.
func fhirSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	dir := os.Getenv("KITH_FIXTURES")
	if dir == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("KITH_FIXTURES is not set; CI must point it at the shared fixtures")
		}
		t.Skip("KITH_FIXTURES is not set: skipping FHIR schema validation (set it to the shared fixtures directory)")
	}
	schemaOnce.Do(func() {
		path, err := filepath.Abs(filepath.Join(dir, "fhir", "fhir.schema.json"))
		if err != nil {
			schemaErr = err
			return
		}
		schema, schemaErr = jsonschema.NewCompiler().Compile(path)
	})
	if schemaErr != nil {
		t.Fatal(schemaErr)
	}
	return schema
}

// TestScale100 checks the benchmark size: about 10,000 resources, quickly.
func TestScale100(t *testing.T) {
	if testing.Short() {
		t.Skip("large record")
	}
	start := time.Now()
	raw, err := synthetic.Record(oliver, synthetic.Options{Seed: 1, Now: now, Scale: 100})
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	var b bundle
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatal(err)
	}
	t.Logf("Scale 100: %d resources, %d bytes in %v", len(b.Entry), len(raw), took)
	if n := len(b.Entry); n < 8000 || n > 12000 {
		t.Errorf("%d resources, want about 10,000", n)
	}
	if took > 10*time.Second {
		t.Errorf("took %v", took)
	}
}

func TestRecordRejectsBadInput(t *testing.T) {
	cases := map[string]struct {
		p   synthetic.Person
		opt synthetic.Options
	}{
		"no now":        {amelia, synthetic.Options{}},
		"no NHS number": {synthetic.Person{GivenName: "A", FamilyName: "B", BirthDate: "1990-01-01"}, synthetic.Options{Now: now}},
		"bad birth":     {synthetic.Person{NHSNumber: "9990000018", GivenName: "A", FamilyName: "B", BirthDate: "01/01/1990"}, synthetic.Options{Now: now}},
		"born after":    {synthetic.Person{NHSNumber: "9990000018", GivenName: "A", FamilyName: "B", BirthDate: "2026-03-01"}, synthetic.Options{Now: now}},
		"bad gender":    {synthetic.Person{NHSNumber: "9990000018", GivenName: "A", FamilyName: "B", BirthDate: "1990-01-01", Gender: "F"}, synthetic.Options{Now: now}},
		"negative":      {amelia, synthetic.Options{Now: now, Scale: -1}},
		"too many":      {amelia, synthetic.Options{Now: now, Years: 101}},
	}
	for name, c := range cases {
		if _, err := synthetic.Record(c.p, c.opt); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// A newborn's record is short but whole.
func TestRecordOfABaby(t *testing.T) {
	baby := synthetic.Person{NHSNumber: "9990000069", GivenName: "Isla", FamilyName: "Bennett", BirthDate: "2026-01-20", Gender: "female"}
	raw, err := synthetic.Record(baby, synthetic.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	rs := parse(t, raw)
	if c := counts(rs); c["Encounter"] == 0 || c["Condition"] == 0 {
		t.Errorf("baby's record %v", c)
	}
}

func BenchmarkRecordScale10(b *testing.B) {
	opt := synthetic.Options{Seed: 1, Now: now, Scale: 10}
	raw, err := synthetic.Record(oliver, opt)
	if err != nil {
		b.Fatal(err)
	}
	var bun bundle
	if err := json.Unmarshal(raw, &bun); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	start := time.Now()
	for b.Loop() {
		if _, err := synthetic.Record(oliver, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(bun.Entry)*b.N)/time.Since(start).Seconds(), "resources/s")
}

// str follows a path of keys and indexes into decoded JSON, "" when it leads
// nowhere.
func str(v any, path ...any) string {
	for _, p := range path {
		switch p := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[p]
		case int:
			a, _ := v.([]any)
			if p >= len(a) {
				return ""
			}
			v = a[p]
		}
	}
	s, _ := v.(string)
	return s
}

func arr(v map[string]any, key string) []any {
	a, _ := v[key].([]any)
	return a
}
