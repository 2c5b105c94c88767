package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// labResults is a bundle of laboratory results, one a day from day first: the
// sensitive ones carry the LOINC code for HIV status.
func labResults(first, n int, sensitive bool) []byte {
	code := `{"coding":[{"system":"http://loinc.org","code":"2093-3"}],"text":"Cholesterol"}`
	if sensitive {
		code = `{"coding":[{"system":"http://loinc.org","code":"55277-8"}],"text":"HIV status"}`
	}
	var entries []string
	for i := first; i < first+n; i++ {
		entries = append(entries, fmt.Sprintf(`{"resource":{"resourceType":"Observation","id":"lab-%d","status":"final",
			"category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
			"code":%s,"effectiveDateTime":"%s","valueQuantity":{"value":%d,"unit":"mmol/L"}}}`,
			i, code, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format(time.RFC3339), i))
	}
	return []byte(`{"resourceType":"Bundle","type":"collection","entry":[` + strings.Join(entries, ",") + `]}`)
}

// A node keeps the inputs of summaries it has read, so these read the same record
// again and again, through two nodes over one store, and hold every answer to
// what the stored entries say at that moment, for the patient and for two
// organisations granted one category, one with its sensitive entries.
func TestEverySummaryIsWhatTheStoredEntriesSayNow(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	nodeA, err := app.New(store, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	nodeB, err := app.New(store, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	self := identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{Issuer: "https://idp.test",
		Subject: "summary-reads", NHSNumber: "9990000042", Proofing: patient.ProofingP9}}
	p, err := nodeA.Me(ctx, self)
	if err != nil {
		t.Fatal(err)
	}
	type reader struct {
		name    string
		caller  identity.Principal
		ref     app.RecordRef
		permits record.Permits
	}
	readers := []reader{{"the patient", self, app.RecordRef{}, func(record.Category, bool) bool { return true }}}
	// Two organisations see the same category, one its sensitive entries too.
	for _, org := range []struct {
		ods, name string
		sensitive bool
	}{{"RR8", "Leeds", false}, {"RJ1", "St Thomas'", true}} {
		if _, err := nodeA.RegisterOrganisation(ctx, identity.Principal{Kind: identity.KindOperator},
			organisation.Registration{ODSCode: org.ods, Name: org.name, JWKS: []byte(`{"keys":[]}`)}); err != nil {
			t.Fatal(err)
		}
		g, _, err := nodeA.CreateGrant(ctx, self, app.GrantCommand{Organisation: org.ods,
			Categories: []record.Category{record.Results}, IncludeSensitive: org.sensitive})
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, reader{org.name, identity.Principal{Kind: identity.KindOrganisation, ODSCode: org.ods},
			app.RecordRef{NHSNumber: p.NHSNumber.Value()}, access.Decide(access.Question{
				Subject: access.Subject{Kind: identity.KindOrganisation, Organisation: org.ods}, Owner: access.Owner{ID: p.ID},
				Action: access.Read, Now: time.Now(), Grants: []access.Grant{g.Grant}}).Permits})
	}
	// The encoded form is kept too, in memory and in the store, so a node that
	// has just started (nodeC, new at every step) answers it from the store.
	encode := func(s record.Summary) ([]byte, error) { return json.Marshal(comparable(s)) }
	check := func(step string) {
		t.Helper()
		entries := storedEntries(t, store, p.ID)
		nodeC, err := app.New(store, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		for _, node := range []*app.App{nodeA, nodeB, nodeA, nodeC, nodeC} {
			for _, r := range readers {
				got, err := node.RecordSummary(ctx, r.caller, r.ref)
				if err != nil {
					t.Fatalf("%s: %s: %v", step, r.name, err)
				}
				want := record.SummaryOf(p.ID, entries, r.permits)
				if a, b := comparable(got), comparable(want); !reflect.DeepEqual(a, b) {
					t.Fatalf("%s: %s reads a summary that is not what the entries say\n got %+v\nwant %+v", step, r.name, a, b)
				}
				enc, err := node.EncodedRecordSummary(ctx, r.caller, r.ref, encode)
				if err != nil {
					t.Fatalf("%s: %s: encoded: %v", step, r.name, err)
				}
				if wantDoc, _ := encode(want); string(enc.Doc) != string(wantDoc) {
					t.Fatalf("%s: %s reads an encoded summary that is not what the entries say\n got %s\nwant %s", step, r.name, enc.Doc, wantDoc)
				}
			}
		}
	}
	ingest := func(node *app.App, data []byte) {
		t.Helper()
		if _, err := node.Ingest(ctx, p, app.Delivery{Source: "gncr", Data: data}); err != nil {
			t.Fatal(err)
		}
	}

	check("an empty record")
	ingest(nodeA, labResults(0, 30, false))
	check("thirty results")
	// The five newest are sensitive: the newest twenty the patient sees are not
	// the newest twenty Leeds may see.
	ingest(nodeB, labResults(30, 5, true))
	check("five sensitive results newer than the rest, written through the other node")
	ingest(nodeA, labResults(35, 1, false))
	check("one more result")
	if err := nodeB.EraseRecord(ctx, self, app.EraseConfirmation); err != nil {
		t.Fatal(err)
	}
	check("the record erased through the other node")
	ingest(nodeA, labResults(0, 3, false))
	check("three results after the erasure")
}
