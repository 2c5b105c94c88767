package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// `kith serve` in development runs the sandbox exchange over the demo records and
// links the demo patients: a new user's first look at their links shows a pull
// done, without setting anything.
func TestServeInDevelopmentPullsFromTheSandbox(t *testing.T) {
	// Debug logs too, so the check below sees every line a pull writes.
	k := newKith(t, map[string]string{"KITH_SANDBOX": "true", "KITH_SYNC_POLL_INTERVAL": "50ms", "KITH_LOG_LEVEL": "debug"})
	ctx, cancel := context.WithCancel(context.Background())
	base, done := k.serve(ctx)
	defer func() { cancel(); <-done }()
	c := &kithClient{base: base}
	amelia := devAs(t, base, "amelia")
	c.waitUpToDate(t, map[string]string{"amelia": amelia})

	status, body := c.doJSON(t, "GET", "/v1/me/exchange-links", amelia, nil)
	var list struct {
		Links []struct {
			Exchange          string `json:"exchange"`
			ResourcesLastPull int    `json:"resourcesLastPull"`
		} `json:"links"`
	}
	if status != 200 || json.Unmarshal(body, &list) != nil || len(list.Links) != 1 {
		t.Fatalf("links = %d %s", status, body)
	}
	if l := list.Links[0]; l.Exchange != "sandbox" || l.ResourcesLastPull == 0 {
		t.Fatalf("Amelia's link after the first pull: %s", body)
	}
	// The sandbox serves the demo record itself, so the pull found it all there
	// already: the summary still is the entries, nothing doubled.
	c.checkSummaryIsTheEntries(t, amelia)
	if n, want := c.count(t, amelia, ""), list.Links[0].ResourcesLastPull; n != want {
		t.Errorf("Amelia's record holds %d entries; the sandbox served %d resources of hers", n, want)
	}
	for _, secret := range []string{"9990000018", "Amelia", "Hughes", "1987-06-05"} {
		if strings.Contains(k.stderr.String(), secret) {
			t.Errorf("the log holds %q", secret)
		}
	}
}
