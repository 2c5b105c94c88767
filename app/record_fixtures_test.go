package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/kith-health/kith/adapters/fixtures"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// recordApp is the app on a fresh SQLite store with one P9 patient.
func recordApp(t testing.TB) (*app.App, patient.Patient, identity.Principal) {
	return recordAppAs(t, patient.Claims{Issuer: "https://idp.test", Subject: "fixture-patient", NHSNumber: "9990000042", Proofing: patient.ProofingP9})
}

// recordAppAs is the app on a fresh SQLite store with the patient claims name.
func recordAppAs(t testing.TB, claims patient.Claims) (*app.App, patient.Patient, identity.Principal) {
	t.Helper()
	ctx := context.Background()
	store := newStore(t)
	a, err := app.New(store, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	caller := identity.Principal{Kind: identity.KindPatient, Patient: claims}
	p, err := a.Me(ctx, caller)
	if err != nil {
		t.Fatal(err)
	}
	return a, p, caller
}

// claimsFor is a P9 account the delivery is about: the NHS number (9990000042 where
// it states none) and birth date of its first Patient.
func claimsFor(t testing.TB, subject string, data []byte) patient.Claims {
	t.Helper()
	c := patient.Claims{Issuer: "https://idp.test", Subject: subject, NHSNumber: "9990000042", Proofing: patient.ProofingP9}
	ins, err := record.ParseInput(data, app.DefaultLimits.MaxResourceBytes)
	if err != nil {
		t.Fatal(err)
	}
	nhs, dob := record.DeliveryIdentity(ins)
	if nhs != "" {
		c.NHSNumber = patient.NHSNumber(nhs)
	}
	c.BirthDate = patient.BirthDate(dob)
	return c
}

// expectedResources is what ingest keeps of each resource a delivery holds: its
// bytes, but with conditional references resolved or made logical.
func expectedResources(t testing.TB, data []byte) []json.RawMessage {
	t.Helper()
	ins, err := record.ParseInput(data, app.DefaultLimits.MaxResourceBytes)
	if err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, in := range record.ResolveConditionalReferences(ins, nil) {
		out = append(out, in.Raw)
	}
	return out
}

// resourcesIn lists the resources of a fixture file as raw JSON: a Bundle's entries,
// or the file itself.
func resourcesIn(t *testing.T, data []byte) []json.RawMessage {
	t.Helper()
	var kind struct {
		ResourceType string `json:"resourceType"`
	}
	if err := json.Unmarshal(data, &kind); err != nil {
		t.Fatal(err)
	}
	if kind.ResourceType != "Bundle" {
		return []json.RawMessage{data}
	}
	var b struct {
		Entry []struct {
			Resource json.RawMessage `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	var out []json.RawMessage
	for _, e := range b.Entry {
		if len(e.Resource) > 0 {
			out = append(out, e.Resource)
		}
	}
	return out
}

// supersededIn reports whether the input holds a strictly newer version of the
// resource r (same type and id): then r is rightly not what is kept.
func supersededIn(all []json.RawMessage, r json.RawMessage) bool {
	var me struct{ ResourceType, ID string }
	json.Unmarshal(r, &me)
	for _, o := range all {
		var other struct{ ResourceType, ID string }
		json.Unmarshal(o, &other)
		if other == me && me.ID != "" && record.VersionOf(o).Compare(record.VersionOf(r)) > 0 {
			return true
		}
	}
	return false
}

func TestEveryFixtureIngestsReadsBackExportsAndReingests(t *testing.T) {
	schema := compileSchema(t)
	for _, file := range fixtures.Bundles(t) {
		name := filepath.Base(filepath.Dir(file)) + "/" + filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			a, p, caller := recordAppAs(t, claimsFor(t, "fixture-patient", data))
			// A bundle about several people (HL7's transaction example) is kept only on request.
			delivery := app.Delivery{Source: "exchange-a", Data: data}
			ins, _ := record.ParseInput(data, app.DefaultLimits.MaxResourceBytes)
			delivery.KeepMismatched = record.IdentityConflicts(ins, p.NHSNumber.Value(), p.BirthDate.Value()) != nil
			report, err := a.Ingest(ctx, p, delivery)
			if err != nil {
				t.Fatalf("ingest: %v", err)
			}
			want := expectedResources(t, data)
			if report.Received != len(want) || report.Created == 0 {
				t.Fatalf("ingest reported %+v for %d resources", report, len(want))
			}

			// Every resource reads back exactly as it came.
			stored := map[string]bool{}
			var all []record.Entry
			cursor := ""
			for {
				page, next, err := a.RecordEntries(ctx, caller, app.RecordRef{}, app.EntryQuery{Limit: 200, Cursor: cursor})
				if err != nil {
					t.Fatal(err)
				}
				all = append(all, page...)
				if next == "" {
					break
				}
				cursor = next
			}
			for _, head := range all {
				e, err := a.RecordEntry(ctx, caller, app.RecordRef{}, head.ID)
				if err != nil {
					t.Fatal(err)
				}
				stored[string(e.Resource)] = true
			}
			for i, r := range want {
				if !stored[string(r)] && !supersededIn(want, r) {
					t.Fatalf("resource %d does not read back byte for byte", i)
				}
			}

			// The export is one valid FHIR R4 Bundle.
			var out bytes.Buffer
			export, err := a.ExportRecord(ctx, caller, app.RecordRef{})
			if err != nil {
				t.Fatal(err)
			}
			if err := export(&out); err != nil {
				t.Fatal(err)
			}
			doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatalf("export is not JSON: %v", err)
			}
			if err := schema.Validate(doc); err != nil {
				t.Fatalf("export is not a valid FHIR R4 Bundle: %.2000v", err)
			}

			again, err := a.Ingest(ctx, p, delivery)
			if err != nil || again.Created != 0 || again.Updated != 0 {
				t.Fatalf("re-ingest changed something: %+v %v", again, err)
			}
		})
	}
}

func TestTheSameFactFromTwoSourcesIsOneEntryWithTwoProvenances(t *testing.T) {
	files := fixtures.Bundles(t)
	var file string
	for _, f := range files {
		if strings.Contains(f, "synthea") && !strings.Contains(f, "Information") {
			file = f
			break
		}
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	incoming, err := record.ParseInput(data, app.DefaultLimits.MaxResourceBytes)
	if err != nil {
		t.Fatal(err)
	}
	withIdentifier := 0
	for _, k := range record.DeliveryIdentifierKeys(incoming) {
		if k != "" {
			withIdentifier++
		}
	}
	if withIdentifier == 0 {
		t.Fatalf("%s has no resources with identifiers to dedupe by", file)
	}
	ctx := context.Background()
	a, p, caller := recordAppAs(t, claimsFor(t, "fixture-patient", data))
	first, err := a.Ingest(ctx, p, app.Delivery{Source: "onelondon", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	second, err := a.Ingest(ctx, p, app.Delivery{Source: "great-north", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if second.Updated != withIdentifier || second.Created != first.Created-withIdentifier {
		t.Fatalf("second source: %+v; want %d merged by identifier and %d new", second, withIdentifier, first.Created-withIdentifier)
	}
	summary, err := a.RecordSummary(ctx, caller, app.RecordRef{})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, n := range summary.Counts {
		total += n
	}
	if total != first.Created+second.Created {
		t.Fatalf("summary counts %d entries, want %d", total, first.Created+second.Created)
	}
	if len(summary.LastSync) != 2 {
		t.Fatalf("summary knows %d sources, want 2", len(summary.LastSync))
	}
	// A fact the second source also delivered is still there, intact, with both
	// provenances.
	heads, _, err := a.RecordEntries(ctx, caller, app.RecordRef{}, app.EntryQuery{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	merged := 0
	for _, h := range heads {
		if len(h.Provenances) != 2 {
			continue
		}
		merged++
		e, err := a.RecordEntry(ctx, caller, app.RecordRef{}, h.ID)
		if err != nil || len(e.Resource) == 0 || record.Hash(e.Resource) != e.Hash {
			t.Fatalf("entry %s delivered by two sources lost its resource: %v", h.ID, err)
		}
	}
	if merged == 0 {
		t.Fatal("no entry on the first page has two provenances")
	}
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	s, err := c.Compile(fixtures.Schema(t))
	if err != nil {
		t.Fatalf("FHIR schema: %v", err)
	}
	return s
}

// storedEntries is every live entry the store holds of the patient's record.
func storedEntries(t testing.TB, s interface {
	EachEntryForDisclosure(context.Context, string, func(record.Entry) error) error
}, patientID string) []record.Entry {
	t.Helper()
	var entries []record.Entry
	if err := s.EachEntryForDisclosure(context.Background(), patientID, func(e record.Entry) error {
		entries = append(entries, e)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return entries
}
