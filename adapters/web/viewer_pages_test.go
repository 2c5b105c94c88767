package web_test

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// viewer is a clinician's browser without JavaScript: it keeps the session cookie
// and follows redirects.
type viewer struct {
	t      *testing.T
	base   string
	client *http.Client
}

func openViewer(t *testing.T, base, code string) viewer {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	v := viewer{t: t, base: base, client: &http.Client{Jar: jar}}
	res, err := v.client.PostForm(base+"/view", url.Values{"code": {code}, "viewerName": {"Dr Sam Okafor"}, "viewerRole": {"A&E registrar"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Request.URL.Path != "/view/record" {
		t.Fatalf("redeeming the code ended at %s with %d", res.Request.URL, res.StatusCode)
	}
	return v
}

// page is the page at path: its status and its text as a reader sees it.
func (v viewer) page(path string) (int, string, string) {
	v.t.Helper()
	res, err := v.client.Get(v.base + path)
	if err != nil {
		v.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(raw), readable(string(raw))
}

var tags, spaces = regexp.MustCompile(`<[^>]*>`), regexp.MustCompile(`\s+`)

// readable is a page's text without its markup, its spaces collapsed.
func readable(page string) string {
	return strings.TrimSpace(spaces.ReplaceAllString(html.UnescapeString(tags.ReplaceAllString(page, " ")), " "))
}

// section is the markup of the element with id (a section of the summary) up to
// the end of its section.
func section(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// part is the text of section(page, id).
func part(page, id string) string { return readable("<x " + section(page, id)) }

// rows counts a table's body rows.
func rows(markup string) int { return max(strings.Count(markup, "<tr>")-1, 0) }

func mustContain(t *testing.T, where, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s does not say %q: %.1500s", where, w, text)
		}
	}
}

// The summary and section pages through the real wiring, without a browser: what
// the clinician reads on each.
func TestTheViewerPages(t *testing.T) {
	k := startKith(t)
	amelia := k.seedAmelia(t)
	// The viewer must show the count the record holds, past the first page.
	results := ownResults(t, k.base, amelia)
	if results <= 50 || results < seedResults {
		t.Fatalf("Amelia has %d results; the paging tests need more than 50", results)
	}
	code := post(t, k.base+"/v1/me/share-codes", amelia, sharedScope)["code"].(string)
	v := openViewer(t, k.base, code)

	_, raw, text := v.page("/view/record")
	t.Run("allergies lead, criticality and reactions in plain sight", func(t *testing.T) {
		first := strings.Index(raw, "<h2")
		if first < 0 || !strings.HasPrefix(raw[first:], `<h2 id="s-allergies">Allergies`) {
			t.Fatalf("the first section is not the allergies: %.200s", raw[max(first, 0):])
		}
		allergies := part(raw, "s-allergies")
		mustContain(t, "the allergies", allergies, "Allergies — 2 active, 1 inactive", "Peanut High criticality",
			"Reactions: Anaphylaxis (severe)", "2004", "Allergy to penicillin", "Urticaria (moderate)", "Show 1 inactive")
		if strings.Index(allergies, "Peanut") > strings.Index(allergies, "penicillin") {
			t.Errorf("the high-criticality allergy is not first: %s", allergies)
		}
		if !strings.Contains(raw, `<strong class="critical">High criticality</strong>`) {
			t.Errorf("high criticality is not emphasised")
		}
	})
	t.Run("inactive items only behind their link", func(t *testing.T) {
		if strings.Contains(text, "Latex") {
			t.Errorf("the resolved latex allergy is on the summary")
		}
		_, _, past := v.page("/view/record/allergies?state=past")
		mustContain(t, "the inactive allergies", past, "Inactive allergies (1)", "Latex", "Low criticality", "Mar 2010", "Show active allergies")
		if strings.Contains(past, "Peanut") {
			t.Errorf("an active allergy is among the inactive ones")
		}
	})
	t.Run("each shared section with its counts, none recorded, not shared", func(t *testing.T) {
		mustContain(t, "the medications", part(raw, "s-medications"), "Medications — 3 active, 8 inactive", "Two puffs twice a day", "Show 8 inactive")
		mustContain(t, "the results", part(raw, "s-results"), fmt.Sprintf("Results — %d", results),
			fmt.Sprintf("Show all %d results", results), "Reference range")
		mustContain(t, "the observations", part(raw, "s-observations"), "Other observations", "None recorded.")
		mustContain(t, "the sections not shared", part(raw, "s-not-shared"), "Not shared by the patient",
			"Vital signs", "Procedures", "Encounters", "Care plans", "Documents")
		if strings.Contains(raw, `id="s-vital-signs"`) || strings.Contains(part(raw, "s-not-shared"), "Results") {
			t.Errorf("a section is shown as shared when it was not, or the other way round")
		}
		if n := rows(section(raw, "s-results")); n != 10 {
			t.Errorf("the summary lists %d results, not the newest ten", n)
		}
	})
	t.Run("a section pages past its first page with the true count", func(t *testing.T) {
		total := results
		status, raw1, first := v.page("/view/record/results")
		mustContain(t, "the first page of results", first, fmt.Sprintf("Results (%d)", total), "Serum sodium", "151 mmol/L", "High", "Next page")
		if status != http.StatusOK || rows(raw1) != 50 {
			t.Fatalf("the first page = %d with %d rows", status, rows(raw1))
		}
		next := regexp.MustCompile(`href="([^"]+)" rel="next"`).FindStringSubmatch(raw1)
		if next == nil {
			t.Fatal("no next page link")
		}
		_, raw2, second := v.page(html.UnescapeString(next[1]))
		mustContain(t, "the second page of results", second, fmt.Sprintf("Results (%d) — page 2", total))
		if n := rows(raw2); n != total-50 || strings.Contains(second, "Next page") {
			t.Errorf("the second page has %d rows (want %d) or another page after it", n, total-50)
		}
	})
	t.Run("wrong addresses and sections not shared", func(t *testing.T) {
		for path, want := range map[string]int{"/view/record/nonsense": 404, "/view/record/results?state=old": 404,
			"/view/record/results?cursor=garbage&page=2": 404, "/view/record/encounters": 403} {
			if status, _, page := v.page(path); status != want {
				t.Errorf("%s = %d, want %d: %.300s", path, status, want, page)
			}
		}
		_, _, page := v.page("/view/record/encounters")
		mustContain(t, "a section not shared", page, "not shared by the patient")
		if status, _, page := v.page("/view/record/conditions"); status != 200 || !strings.Contains(page, "Active problems") {
			t.Errorf("the old conditions address does not lead to the problems: %d %.300s", status, page)
		}
	})
}
