package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// ipsSections reads an IPS document: for each section's LOINC code, the number of
// resources it cites and its empty reason; and the resource types the Bundle holds.
func ipsSections(t *testing.T, res response) (map[string]int, map[string]string, map[string]int) {
	t.Helper()
	if res.status != 200 || !strings.HasPrefix(res.header.Get("Content-Type"), "application/fhir+json") ||
		res.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("IPS = %d %v %.300s", res.status, res.header, res.body)
	}
	var doc struct {
		Type  string `json:"type"`
		Entry []struct {
			Resource struct {
				ResourceType string `json:"resourceType"`
				Section      []struct {
					Code struct {
						Coding []struct{ Code string } `json:"coding"`
					} `json:"code"`
					Entry       []json.RawMessage `json:"entry"`
					EmptyReason *struct {
						Coding []struct{ Code string } `json:"coding"`
					} `json:"emptyReason"`
				} `json:"section"`
			} `json:"resource"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(res.body, &doc); err != nil || doc.Type != "document" || len(doc.Entry) == 0 {
		t.Fatalf("not an IPS document: %v %.300s", err, res.body)
	}
	cited, empty, types := map[string]int{}, map[string]string{}, map[string]int{}
	for _, sec := range doc.Entry[0].Resource.Section {
		code := sec.Code.Coding[0].Code
		cited[code] = len(sec.Entry)
		if sec.EmptyReason != nil {
			empty[code] = sec.EmptyReason.Coding[0].Code
		}
	}
	for _, e := range doc.Entry {
		types[e.Resource.ResourceType]++
	}
	return cited, empty, types
}

const (
	ipsAllergies = "48765-2"
	ipsProblems  = "11450-4"
	ipsResults   = "30954-2"
)

// An organisation's IPS, and a viewer's, hold what the grant or code covers and
// say "withheld" for the rest; each read is in the patient's access log.
func TestAnIPSHoldsOnlyWhatTheReaderMaySee(t *testing.T) {
	s := newServer(t)
	w := newAccessWorld(t, s)

	own, _, ownTypes := ipsSections(t, s.do("GET", "/v1/me/record/ips", w.amelia, nil))
	if own[ipsAllergies] == 0 || own[ipsProblems] == 0 || ownTypes["Condition"] == 0 {
		t.Fatalf("Amelia's own IPS should cite her allergies and problems: %v %v", own, ownTypes)
	}

	cited, empty, types := ipsSections(t, s.do("GET", orgPath(ameliaNHS, "/ips"), w.leeds, nil))
	if cited[ipsAllergies] != own[ipsAllergies] || empty[ipsProblems] != "withheld" || empty[ipsResults] != "withheld" {
		t.Fatalf("Leeds (allergies, medications, immunizations) got sections %v, empty %v", cited, empty)
	}
	if types["Condition"]+types["Observation"]+types["DiagnosticReport"] != 0 {
		t.Fatalf("Leeds' IPS holds resources outside its grant: %v", types)
	}
	wantProblem(t, s.do("GET", orgPath(ameliaNHS, "/ips"), w.stranger, nil), 404, "not-found")

	cited, empty, _ = ipsSections(t, s.do("GET", "/v1/shared/record/ips", w.viewer, nil))
	if cited[ipsAllergies] != own[ipsAllergies] || empty[ipsProblems] != "withheld" {
		t.Fatalf("the viewer (allergies) got sections %v, empty %v", cited, empty)
	}

	// A section outside the grant cannot be listed either.
	wantProblem(t, s.do("GET", orgPath(ameliaNHS, "/entries?section=problems"), w.leeds, nil), 403, "category-not-granted")

	found := false
	for _, e := range s.accessLog(t, w.amelia) {
		if e.Action == "record.ips.read" && e.Basis == "grant" && e.Alert != "none" &&
			strings.Contains(e.Description, "at Leeds Teaching Hospitals NHS Trust took a patient summary document of") {
			found = true
		}
	}
	if !found {
		t.Fatal("the access log does not show Leeds' IPS read, marked for an alert")
	}
}
