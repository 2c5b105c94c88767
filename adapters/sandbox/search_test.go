package sandbox_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/sandbox"
)

func twoRecords() [][]byte {
	return [][]byte{
		testRecord{patientID: "p1", nhsNumber: "9990000018", birthDate: "1987-06-05", observations: 437, conditions: 3, documents: 130}.bundle(),
		testRecord{patientID: "p2", nhsNumber: "9990000026", birthDate: "1971-11-30", observations: 5, conditions: 1}.bundle(),
	}
}

func TestPatientIsMatchedByNHSNumber(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	for _, c := range []struct {
		name, query string
		want        []string
	}{
		{"system|value", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000026", []string{"Patient/p2"}},
		{"the bar URL-encoded", "identifier=" + url.QueryEscape("https://fhir.nhs.uk/Id/nhs-number|9990000018"), []string{"Patient/p1"}},
		{"a number nobody has", "identifier=https://fhir.nhs.uk/Id/nhs-number|9990000034", nil},
		{"the right number under another system", "identifier=https://example.org/mrn|9990000018", nil},
		{"every patient", "", []string{"Patient/p1", "Patient/p2"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := x.search("/Patient?" + c.query)
			if got := b.ids(); !slices.Equal(got, c.want) || b.Total != len(c.want) || b.Type != "searchset" {
				t.Errorf("got %v (total %d, type %s), want %v", got, b.Total, b.Type, c.want)
			}
		})
	}
	resp, body := x.get("/Patient/p2")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"9990000026"`) {
		t.Errorf("read Patient/p2: %d %s", resp.StatusCode, body)
	}
}

func TestPagingReturnsEveryResourceExactlyOnce(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	for _, c := range []struct {
		typ      string
		count    int
		want     int
		pageSize int // what each full page holds: _count capped at the type's maximum
	}{
		{"Observation", 50, 437, 50},
		{"Observation", 1000, 437, 200},
		{"DocumentReference", 1000, 130, 100},
		{"Condition", 1, 3, 1},
		{"Practitioner", 10, 1, 10},
	} {
		t.Run(fmt.Sprintf("%s_count=%d", c.typ, c.count), func(t *testing.T) {
			pages := x.searchAll(fmt.Sprintf("/%s?patient=p1&_count=%d", c.typ, c.count))
			seen := map[string]int{}
			for i, p := range pages {
				if p.Total != c.want || p.Meta.LastUpdated != pages[0].Meta.LastUpdated {
					t.Fatalf("page %d: total %d, meta.lastUpdated %s; first page %s", i, p.Total, p.Meta.LastUpdated, pages[0].Meta.LastUpdated)
				}
				if i < len(pages)-1 && len(p.Entry) != c.pageSize {
					t.Errorf("page %d holds %d, want %d", i, len(p.Entry), c.pageSize)
				}
				for _, e := range p.Entry {
					if !strings.HasPrefix(e.FullURL, x.base()+"/"+c.typ+"/") || e.Search.Mode != "match" {
						t.Fatalf("entry fullUrl %s, search.mode %s", e.FullURL, e.Search.Mode)
					}
				}
				for _, id := range p.ids() {
					seen[id]++
				}
			}
			if len(seen) != c.want {
				t.Errorf("%d distinct resources, want %d", len(seen), c.want)
			}
			for id, n := range seen {
				if n != 1 {
					t.Errorf("%s came %d times", id, n)
				}
			}
		})
	}
}

func TestPagesStayStableWhileResourcesAreAddedAndDeleted(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	first := x.search("/Observation?patient=p1&_count=100")
	x.clock.Advance(time.Second)
	added, err := x.sb.Add("p1", []byte(`{"resourceType":"Observation","status":"final","subject":{"reference":"Patient/p1"}}`))
	if err != nil {
		t.Fatal(err)
	}
	// Deleting one from the first page must not shift the later pages.
	if err := x.sb.Delete(first.ids()[0]); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range first.ids() {
		seen[id] = true
	}
	for u := first.next(); u != ""; {
		p := x.search(u)
		for _, id := range p.ids() {
			if seen[id] {
				t.Errorf("%s on two pages", id)
			}
			seen[id] = true
		}
		u = p.next()
	}
	if len(seen) != 437 || seen[added] {
		t.Errorf("%d resources across the pages (want 437), the one added since among them: %v", len(seen), seen[added])
	}
	// A new search sees the change.
	if b := x.search("/Observation?patient=p1&_count=0"); b.Total != 437 || len(b.Entry) != 0 || b.next() != "" {
		t.Errorf("_count=0: total %d, %d entries, next %q", b.Total, len(b.Entry), b.next())
	}
}

func TestLastUpdatedGtReturnsOnlyWhatChangedSince(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	before := x.search("/Observation?patient=p2")
	since := before.Meta.LastUpdated
	if since != x.clock.Now().Format("2006-01-02T15:04:05.000Z07:00") {
		t.Fatalf("meta.lastUpdated %s, want the server's time %s", since, x.clock.Now())
	}
	if b := x.search("/Observation?patient=p2&_lastUpdated=gt" + url.QueryEscape(since)); b.Total != 0 {
		t.Fatalf("nothing changed, yet %d after %s", b.Total, since)
	}

	x.clock.Advance(90 * time.Second)
	ref, err := x.sb.Add("p2", []byte(`{"resourceType":"Observation","status":"final","code":{"text":"Pulse"},"subject":{"reference":"Patient/p2"}}`))
	if err != nil {
		t.Fatal(err)
	}
	b := x.search("/Observation?patient=p2&_lastUpdated=gt" + url.QueryEscape(since))
	if got := b.ids(); !slices.Equal(got, []string{ref}) {
		t.Fatalf("after Add: %v, want [%s]", got, ref)
	}
	var res struct {
		Meta struct{ VersionID, LastUpdated string }
	}
	_ = json.Unmarshal(b.Entry[0].Resource, &res)
	if res.Meta.VersionID != "1" || res.Meta.LastUpdated != x.clock.Now().Format("2006-01-02T15:04:05.000Z07:00") {
		t.Errorf("added resource meta %+v", res.Meta)
	}
	// The other prefixes, and a range.
	for q, want := range map[string]int{
		"_lastUpdated=lt" + url.QueryEscape(since):                            0,
		"_lastUpdated=le" + url.QueryEscape(since):                            5,
		"_lastUpdated=ge" + url.QueryEscape(formatted(x.clock.Now())):         1,
		"_lastUpdated=ge2025-03-14&_lastUpdated=lt2025-03-15":                 6,
		"_lastUpdated=gt2025-03-14":                                           0, // the whole day
		"_lastUpdated=gt" + url.QueryEscape("2025-03-14T10:00:00+01:00"):      1,
		"_lastUpdated=gt" + url.QueryEscape(formatted(x.clock.Now())):         0,
		"_lastUpdated=le" + url.QueryEscape(formatted(x.clock.Now().Add(-1))): 5,
	} {
		if b := x.search("/Observation?patient=p2&" + q); b.Total != want {
			t.Errorf("%s: %d, want %d", q, b.Total, want)
		}
	}
}

func formatted(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func TestLastUpdatedIsRefusedWhereTheProfileLacksIt(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	for _, path := range []string{
		"/Condition?patient=p1&_lastUpdated=gt2025-01-01",
		"/DocumentReference?patient=p1&_lastUpdated=gt2025-01-01",
	} {
		resp, body := x.get(path)
		wantOutcome(t, resp, body, http.StatusBadRequest)
	}
	x.search("/Condition?patient=Patient/p1")
	x.search("/Condition?subject=Patient/p1")
}

func TestBadRequestsAreRefusedNotGuessed(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	for _, c := range []struct {
		path   string
		status int
	}{
		{"/Observation", http.StatusBadRequest},                                    // patient required
		{"/Observation?patient=p1&code=8867-4", http.StatusBadRequest},             // unsupported parameter
		{"/Observation?patient=p1&_count=-1", http.StatusBadRequest},               // bad count
		{"/Observation?patient=p1&_lastUpdated=2025-01-01", http.StatusBadRequest}, // no prefix
		{"/Observation?patient=p1&_lastUpdated=gt2025-03-14T10:00:00 01:00", http.StatusBadRequest},
		{"/Observation?-pageContext=garbage", http.StatusBadRequest},
		{"/Patient/p1/$everything?_since=yesterday", http.StatusBadRequest},
		{"/Observation/_history", http.StatusBadRequest}, // patient required
		{"/Nonsense?patient=p1", http.StatusNotFound},
		{"/Observation/missing", http.StatusNotFound},
		{"/Patient/nobody/$everything", http.StatusNotFound},
		{"/Patient/p1/$export", http.StatusNotFound},
	} {
		resp, body := x.get(strings.ReplaceAll(c.path, " ", "%20"))
		t.Run(c.path, func(t *testing.T) { wantOutcome(t, resp, body, c.status) })
	}
	// A page token only opens the search it came from.
	first := x.search("/Observation?patient=p1&_count=10")
	other := strings.Replace(first.next(), "/Observation?", "/Condition?", 1)
	resp, body := x.get(other)
	wantOutcome(t, resp, body, http.StatusBadRequest)
	resp, body = x.get(first.next() + "&_count=500")
	wantOutcome(t, resp, body, http.StatusBadRequest)
	if resp, _ := x.get(first.next() + "&-pageDirection=NEXT"); resp.StatusCode != http.StatusOK {
		t.Errorf("-pageDirection=NEXT, as Oracle's links carry: %d", resp.StatusCode)
	}
}

func TestEverythingWithSinceReturnsTheChanges(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	var all int
	for _, p := range x.searchAll("/Patient/p2/$everything?_count=4") {
		all += len(p.Entry)
	}
	if want := x.sb.Patients()[1].Resources; all != want || want != 1+1+5+1 {
		t.Errorf("$everything gave %d, Patients() says %d (want 8)", all, want)
	}
	since := x.clock.Now().Add(time.Minute)
	x.clock.Advance(time.Minute)
	obs, _ := x.sb.Add("p2", []byte(`{"resourceType":"Observation","id":"new-obs","status":"final"}`))
	cond, _ := x.sb.Add("p2", []byte(`{"resourceType":"Condition","id":"new-cond"}`))
	if _, err := x.sb.Add("p1", []byte(`{"resourceType":"Condition","id":"not-p2s"}`)); err != nil {
		t.Fatal(err)
	}
	b := x.search("/Patient/p2/$everything?_since=" + url.QueryEscape(formatted(since)))
	if got := b.ids(); !slices.Equal(got, []string{cond, obs}) {
		t.Errorf("since the additions: %v, want [%s %s]", got, cond, obs)
	}
	b = x.search("/Patient/p2/$everything?_type=Observation&_since=" + url.QueryEscape(formatted(since)))
	if got := b.ids(); !slices.Equal(got, []string{obs}) {
		t.Errorf("_type=Observation: %v", got)
	}
}

func TestDeletedResourcesShowInHistory(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	t0 := x.clock.Now()
	victim := x.search("/Condition?patient=p2").ids()[0]
	x.clock.Advance(time.Hour)
	x.token = x.fetchToken("system/*.read") // the first has expired
	if err := x.sb.Delete(victim); err != nil {
		t.Fatal(err)
	}
	if err := x.sb.Delete(victim); err == nil {
		t.Error("deleting twice succeeded")
	}
	if b := x.search("/Condition?patient=p2"); b.Total != 0 {
		t.Errorf("the deleted Condition is still found: %v", b.ids())
	}
	resp, body := x.get("/" + victim)
	wantOutcome(t, resp, body, http.StatusGone)

	h := x.search("/Condition/_history?patient=p2&_since=" + url.QueryEscape(formatted(t0.Add(time.Minute))))
	if h.Type != "history" || len(h.Entry) != 1 {
		t.Fatalf("history: type %s, %d entries: %+v", h.Type, len(h.Entry), h.Entry)
	}
	e := h.Entry[0]
	if e.Request.Method != "DELETE" || e.Request.URL != victim || len(e.Resource) != 0 {
		t.Errorf("history entry %+v, want DELETE %s without a resource", e, victim)
	}
	// From the start, history holds its creation too, newest first.
	h = x.search("/Condition/_history?patient=p2&_since=" + url.QueryEscape(formatted(t0)))
	if len(h.Entry) != 2 || h.Entry[0].Request.Method != "DELETE" || h.Entry[1].Request.Method != "POST" {
		t.Errorf("full history %+v", h.Entry)
	}
}

func TestCapabilityStatementDeclaresWhatTheSandboxDoes(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	resp, body := x.get("/metadata")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/fhir+json" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var cs struct {
		ResourceType, FhirVersion string
		Rest                      []struct {
			Security struct {
				Extension []struct {
					URL       string
					Extension []struct{ URL, ValueURI string }
				}
			}
			Resource []struct {
				Type      string
				Extension []struct {
					URL          string
					ValueInteger int
				}
				Interaction []struct{ Code string }
				SearchParam []struct{ Name, Type string }
				Operation   []struct{ Name string }
			}
		}
	}
	if err := json.Unmarshal(body, &cs); err != nil || cs.ResourceType != "CapabilityStatement" || cs.FhirVersion != "4.0.1" || len(cs.Rest) != 1 {
		t.Fatalf("%v %s", err, body)
	}
	rest := cs.Rest[0]
	if ext := rest.Security.Extension; len(ext) != 1 || ext[0].Extension[0].URL != "token" || ext[0].Extension[0].ValueURI != x.base()+"/token" {
		t.Errorf("security extension %+v", ext)
	}
	got := map[string]string{}
	for _, r := range rest.Resource {
		var params []string
		for _, p := range r.SearchParam {
			params = append(params, p.Name)
		}
		var ops []string
		for _, o := range r.Operation {
			ops = append(ops, o.Name)
		}
		var interactions []string
		for _, i := range r.Interaction {
			interactions = append(interactions, i.Code)
		}
		max := 0
		for _, e := range r.Extension {
			if e.URL == sandbox.MaxCountExtension {
				max = e.ValueInteger
			}
		}
		got[r.Type] = fmt.Sprintf("%v %v %v %d", interactions, params, ops, max)
	}
	want := map[string]string{
		"Patient":           "[read search-type history-type] [identifier _id _count] [everything] 100",
		"Observation":       "[read search-type history-type] [patient _lastUpdated _count] [] 200",
		"Condition":         "[read search-type history-type] [patient _count] [] 100",
		"DocumentReference": "[read search-type history-type] [patient _count] [] 100",
		"Practitioner":      "[read search-type history-type] [patient _count] [] 100",
	}
	for typ, w := range want {
		if got[typ] != w {
			t.Errorf("%s: %s, want %s", typ, got[typ], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("types %v, want those the sandbox holds", got)
	}
}

func TestResponsesCarryTheServersDate(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	x.clock.Advance(42 * time.Hour)
	resp, _ := x.get("/metadata")
	if got, err := http.ParseTime(resp.Header.Get("Date")); err != nil || !got.Equal(x.clock.Now()) {
		t.Errorf("Date %q, want %s", resp.Header.Get("Date"), x.clock.Now())
	}
}

func TestAnAdditionUnderAFrozenClockIsNewerThanTheLastSnapshot(t *testing.T) {
	x := start(t, sandbox.Config{Bundles: twoRecords()})
	since := x.search("/Observation?patient=p2").Meta.LastUpdated
	ref, err := x.sb.Add("p2", []byte(`{"resourceType":"Observation","status":"final"}`)) // the clock has not moved
	if err != nil {
		t.Fatal(err)
	}
	if got := x.search("/Observation?patient=p2&_lastUpdated=gt" + url.QueryEscape(since)).ids(); !slices.Equal(got, []string{ref}) {
		t.Errorf("an incremental search after the snapshot %s found %v, want [%s]", since, got, ref)
	}
}
