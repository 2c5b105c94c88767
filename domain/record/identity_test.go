package record_test

import (
	"reflect"
	"regexp"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/record"
)

func TestIdentifierKey(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want string
	}{
		{"none", `{"resourceType":"Observation"}`, ""},
		{"one", `{"identifier":[{"system":"https://tools.ietf.org/html/rfc4122","value":"ac0ffbdf"}]}`, "https://tools.ietf.org/html/rfc4122|ac0ffbdf"},
		{"the smallest of several, whatever their order",
			`{"identifier":[{"system":"https://fhir.nhs.uk/Id/nhs-number","value":"9912003888"},{"system":"http://hospital.example|x","value":"1"},{"system":"http://a.example","value":"9"}]}`,
			"http://a.example|9"},
		{"identifiers missing a system or value are ignored",
			`{"identifier":[{"value":"0"},{"system":"http://a.example"},{"system":"http://b.example","value":"1"}]}`,
			"http://b.example|1"},
		{"a single identifier object (Composition, QuestionnaireResponse)", `{"identifier":{"system":"urn:ietf:rfc:3986","value":"urn:uuid:1"}}`, "urn:ietf:rfc:3986|urn:uuid:1"},
		{"only unusable identifiers", `{"identifier":[{"use":"official"}]}`, ""},
		{"not JSON", `[`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.IdentifierKey([]byte(tc.raw)); got != tc.want {
				t.Fatalf("IdentifierKey = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestDeliveryIdentifierKeys(t *testing.T) {
	eob := func(claimID string) record.Incoming {
		return record.Incoming{ResourceType: "ExplanationOfBenefit", Raw: []byte(`{"identifier":[
			{"system":"https://bluebutton.cms.gov/resources/variables/clm_id","value":"` + claimID + `"},
			{"system":"https://bluebutton.cms.gov/resources/identifier/claim-group","value":"99999999999"}]}`)}
	}
	cases := []struct {
		name string
		ins  []record.Incoming
		want []string
	}{
		{"a group identifier shared by a delivery's resources is passed over",
			[]record.Incoming{eob("c1"), eob("c2")},
			[]string{"https://bluebutton.cms.gov/resources/variables/clm_id|c1", "https://bluebutton.cms.gov/resources/variables/clm_id|c2"}},
		{"alone in its delivery, the smallest identifier is taken",
			[]record.Incoming{eob("c1")},
			[]string{"https://bluebutton.cms.gov/resources/identifier/claim-group|99999999999"}},
		{"resources with only a shared identifier have none",
			[]record.Incoming{
				{ResourceType: "Observation", Raw: []byte(`{"identifier":[{"system":"http://lab.example/order","value":"7"}]}`)},
				{ResourceType: "Observation", Raw: []byte(`{"identifier":[{"system":"http://lab.example/order","value":"7"}]}`)},
			},
			[]string{"", ""}},
		{"the same identifier on different types is no conflict",
			[]record.Incoming{
				{ResourceType: "DiagnosticReport", Raw: []byte(`{"identifier":[{"system":"http://lab.example/order","value":"7"}]}`)},
				{ResourceType: "ServiceRequest", Raw: []byte(`{"identifier":[{"system":"http://lab.example/order","value":"7"}]}`)},
			},
			[]string{"http://lab.example/order|7", "http://lab.example/order|7"}},
		{"an identifier listed twice in one resource is not shared",
			[]record.Incoming{{ResourceType: "Condition", Raw: []byte(`{"identifier":[{"system":"http://x","value":"1"},{"system":"http://x","value":"1"}]}`)}},
			[]string{"http://x|1"}},
		{"resources without identifiers", []record.Incoming{{ResourceType: "Basic", Raw: []byte(`{}`)}}, []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := record.DeliveryIdentifierKeys(tc.ins); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("DeliveryIdentifierKeys = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestVersionOf(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want record.Version
	}{
		{"both", `{"meta":{"versionId":"3","lastUpdated":"2014-08-18T01:43:31.1239+01:00"}}`,
			record.Version{VersionID: "3", LastUpdated: time.Date(2014, 8, 18, 0, 43, 31, 123e6, time.UTC)}},
		{"only a version id", `{"meta":{"versionId":"W/7"}}`, record.Version{VersionID: "W/7"}},
		{"no meta", `{}`, record.Version{}},
		{"an unparseable lastUpdated is absent", `{"meta":{"lastUpdated":"soon"}}`, record.Version{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := record.VersionOf([]byte(tc.raw))
			if got.VersionID != tc.want.VersionID || !got.LastUpdated.Equal(tc.want.LastUpdated) {
				t.Fatalf("VersionOf = %+v, want %+v", got, tc.want)
			}
			if !got.LastUpdated.IsZero() && got.LastUpdated.Location() != time.UTC {
				t.Fatal("lastUpdated not in UTC")
			}
		})
	}
}

func TestVersionCompare(t *testing.T) {
	t1 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	t2 := t1.Add(time.Millisecond)
	v := func(id string, at time.Time) record.Version { return record.Version{VersionID: id, LastUpdated: at} }
	cases := []struct {
		name string
		a, b record.Version
		want int
	}{
		{"later lastUpdated is newer", v("", t2), v("", t1), 1},
		{"earlier lastUpdated is older", v("9", t1), v("1", t2), -1},
		{"lastUpdated beats versionId", v("1", t2), v("2", t1), 1},
		{"equal lastUpdated falls to versionId", v("2", t1), v("1", t1), 1},
		{"versionIds compare as numbers", v("10", time.Time{}), v("9", time.Time{}), 1},
		{"leading zeros do not matter", v("007", time.Time{}), v("7", time.Time{}), 0},
		{"huge version numbers still compare", v("123456789012345678901234567890", time.Time{}), v("99999999999999999999", time.Time{}), 1},
		{"non-numeric versionIds compare as text", v("b", time.Time{}), v("a10", time.Time{}), 1},
		{"one number and one text compare as text", v("10", time.Time{}), v("9a", time.Time{}), -1},
		{"only one side has lastUpdated: versionId decides", v("1", t2), v("2", time.Time{}), -1},
		{"only one side has anything", v("5", t1), v("", time.Time{}), 0},
		{"neither has anything", v("", time.Time{}), v("", time.Time{}), 0},
		{"same everything", v("3", t1), v("3", t1), 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.a.Compare(tc.b); got != tc.want {
				t.Fatalf("Compare = %d, want %d", got, tc.want)
			}
			if back := tc.b.Compare(tc.a); back != -tc.want {
				t.Fatalf("reverse Compare = %d, want %d", back, -tc.want)
			}
		})
	}
}

func TestEntryID(t *testing.T) {
	uuidV8 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	base := record.EntryID("p1", "Condition", "", "gncr", "c-1")
	if !uuidV8.MatchString(base) {
		t.Fatalf("EntryID = %q, not a version 8 UUID", base)
	}
	if again := record.EntryID("p1", "Condition", "", "gncr", "c-1"); again != base {
		t.Fatalf("not deterministic: %s then %s", base, again)
	}
	shared := record.EntryID("p1", "Condition", "http://x|1", "gncr", "c-1")
	cases := []struct {
		name string
		id   string
		same bool
	}{
		{"the same identifier from another source is the same entry", record.EntryID("p1", "Condition", "http://x|1", "onelondon", "zz-9"), true},
		{"another patient's fact is another entry", record.EntryID("p2", "Condition", "http://x|1", "gncr", "c-1"), false},
		{"another resource type is another entry", record.EntryID("p1", "Observation", "http://x|1", "gncr", "c-1"), false},
		{"another identifier is another entry", record.EntryID("p1", "Condition", "http://x|2", "gncr", "c-1"), false},
		{"without identifier, the source id identifies", record.EntryID("p1", "Condition", "", "gncr", "c-2"), false},
		{"without identifier, the source identifies", record.EntryID("p1", "Condition", "", "onelondon", "c-1"), false},
		{"field boundaries count", record.EntryID("p1", "Condition", "", "gncrc", "-1"), false},
		{"an identifier never poses as a source", record.EntryID("p1", "Condition", "", "identifier:http://x|1", ""), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if (tc.id == shared) != tc.same {
				t.Fatalf("EntryID %s vs %s: same = %v, want %v", tc.id, shared, tc.id == shared, tc.same)
			}
			if tc.id == base {
				t.Fatalf("EntryID %s collides with the source-identified one", tc.id)
			}
		})
	}
}

func TestHash(t *testing.T) {
	// SHA-256 of the exact bytes: whitespace is content.
	if got, want := record.Hash([]byte("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Fatalf("Hash = %s, want %s", got, want)
	}
	if record.Hash([]byte(`{"a":1}`)) == record.Hash([]byte(`{"a": 1}`)) {
		t.Fatal("a re-spaced resource must hash differently")
	}
}
