package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// scenario is one row of the report: the targets its load process round-robins.
type scenario struct {
	Name    string
	Slug    string // file names of its raw results
	Targets []vegeta.Target
}

// viewerCookie is the web viewer's session cookie (adapters/web): it holds the same
// viewer token the API's redeem returns.
const viewerCookie = "kith_view"

// scenarios lists what to measure, the ceiling first. Each Kith read runs twice:
// spread over many patients (the API's own work) and on one hot patient, whose
// every read appends to the same access log chain.
func scenarios(base, ceiling string, w *seeded) []scenario {
	out := []scenario{
		{Name: "bare Fiber (ceiling)", Slug: "ceiling", Targets: []vegeta.Target{{Method: http.MethodGet, URL: ceiling + "/"}}},
		{Name: "/healthz", Slug: "healthz", Targets: []vegeta.Target{{Method: http.MethodGet, URL: base + "/healthz"}}},
	}
	all, shared, hot := w.Patients, w.Patients[:w.Shared], w.Patients[:1]
	reads := []struct {
		name, slug string
		over       []seedPatient
		target     func(p seedPatient) vegeta.Target
	}{
		{"own summary", "own-summary", all, func(p seedPatient) vegeta.Target {
			return get(base+"/v1/me/record/summary", bearer(p.Token))
		}},
		{"own entries (results, 50)", "own-entries", all, func(p seedPatient) vegeta.Target {
			return get(base+"/v1/me/record/entries?section=results&limit=50", bearer(p.Token))
		}},
		{"share-code summary (API)", "shared-summary-api", shared, func(p seedPatient) vegeta.Target {
			return get(base+"/v1/shared/record/summary", bearer(p.ViewerToken))
		}},
		{"share-code summary (web viewer)", "shared-summary-web", shared, func(p seedPatient) vegeta.Target {
			return get(base+"/view/record", http.Header{"Cookie": {viewerCookie + "=" + p.ViewerToken}})
		}},
		{"organisation summary (grant)", "org-summary", shared, func(p seedPatient) vegeta.Target {
			return get(base+"/v1/org/patients/"+p.NHSNumber+"/record/summary", bearer(w.OrgToken))
		}},
	}
	for _, r := range reads {
		out = append(out,
			scenario{Name: fmt.Sprintf("%s, %d patients", r.name, len(r.over)), Slug: r.slug + "-spread", Targets: each(r.over, r.target)},
			scenario{Name: r.name + ", hot patient", Slug: r.slug + "-hot", Targets: each(hot, r.target)})
	}
	return append(out,
		scenario{Name: fmt.Sprintf("mixed mobile, %d patients", len(shared)), Slug: "mixed-spread", Targets: mixed(base, shared)},
		scenario{Name: "mixed mobile, hot patient", Slug: "mixed-hot", Targets: mixed(base, hot)})
}

func each(ps []seedPatient, target func(seedPatient) vegeta.Target) []vegeta.Target {
	out := make([]vegeta.Target, len(ps))
	for i, p := range ps {
		out[i] = target(p)
	}
	return out
}

// mixed is a phone's traffic in twenty requests per patient: 70% summary and
// entries, 20% change feed polls, 5% the access log, 5% a settings write (the same
// settings again: a real write each time, and safe to repeat). Shuffled with a
// fixed seed, so patients and kinds interleave the same way in every run.
func mixed(base string, ps []seedPatient) []vegeta.Target {
	sections := []string{"results", "medications", "problems", "allergies", "immunizations", "encounters", "vital-signs"}
	var out []vegeta.Target
	for _, p := range ps {
		auth := bearer(p.Token)
		for range 7 {
			out = append(out, get(base+"/v1/me/record/summary", auth))
		}
		for _, s := range sections {
			out = append(out, get(base+"/v1/me/record/entries?limit=50&section="+s, auth))
		}
		for range 4 {
			out = append(out, get(base+"/v1/me/record/changes?since="+url.QueryEscape(p.FeedSince), auth))
		}
		out = append(out, get(base+"/v1/me/access-log?limit=20", auth))
		settings := auth.Clone()
		settings.Set("Content-Type", "application/json")
		out = append(out, vegeta.Target{Method: http.MethodPut, URL: base + "/v1/me/settings", Header: settings,
			Body: []byte(`{"breakGlassAllowed":true}`)})
	}
	r := rand.New(rand.NewPCG(1, 2))
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func get(u string, h http.Header) vegeta.Target {
	return vegeta.Target{Method: http.MethodGet, URL: u, Header: h}
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}
