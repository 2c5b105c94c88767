package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	_ "modernc.org/sqlite"
)

// call sends a JSON request to a running kith and decodes the answer.
func call(t *testing.T, method, url, token, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var m map[string]any
	json.Unmarshal(raw, &m)
	return res.StatusCode, m
}

func demoToken(t *testing.T, base, name string) string {
	t.Helper()
	status, m := call(t, "POST", base+"/dev/tokens", "", `{"as":"`+name+`"}`)
	if status != 200 {
		t.Fatalf("token as %s = %d", name, status)
	}
	return m["access_token"].(string)
}

func TestAdminVerifiesAuditChainsAndListsReports(t *testing.T) {
	k := newKith(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	base, done := k.serve(ctx)
	amelia, leeds := demoToken(t, base, "amelia"), demoToken(t, base, "leeds-registrar")
	if status, _ := call(t, "POST", base+"/v1/me/grants", amelia, `{"organisation":"RR8","categories":["allergies"]}`); status != 201 {
		t.Fatalf("grant = %d", status)
	}
	if status, _ := call(t, "GET", base+"/v1/org/patients/9990000018/record/summary", leeds, ""); status != 200 {
		t.Fatalf("Leeds reads = %d", status)
	}
	_, log := call(t, "GET", base+"/v1/me/access-log", amelia, "")
	read := log["events"].([]any)[0].(map[string]any)
	if status, _ := call(t, "POST", base+"/v1/me/access-log/"+read["id"].(string)+"/report", amelia, `{"note":"who is this?"}`); status != 200 {
		t.Fatalf("report = %d", status)
	}
	cancel()
	<-done

	k.stdout.Reset()
	if err := k.run(context.Background(), "admin", "verify-audit"); err != nil || !strings.Contains(k.stdout.String(), ", 0 broken") {
		t.Fatalf("verify-audit on an untouched store: %v\n%s", err, k.stdout.String())
	}
	k.stdout.Reset()
	if err := k.run(context.Background(), "admin", "access-reports"); err != nil ||
		!strings.Contains(k.stdout.String(), "NHS 9990000018") || !strings.Contains(k.stdout.String(), `"who is this?"`) ||
		!strings.Contains(k.stdout.String(), "Dr Sam Patel") || !strings.Contains(k.stdout.String(), "1 reported accesses") {
		t.Fatalf("access-reports: %v\n%s", err, k.stdout.String())
	}

	k.stdout.Reset()
	if err := k.run(context.Background(), "admin", "parked-alerts"); err != nil || !strings.Contains(k.stdout.String(), "0 parked alerts") {
		t.Fatalf("parked-alerts: %v\n%s", err, k.stdout.String())
	}

	// Someone with the database rewrites history: the grant never happened.
	db, err := sql.Open("sqlite", filepath.Join(k.env["KITH_DATA_DIR"], "kith.db"))
	if err != nil {
		t.Fatal(err)
	}
	var patientID string
	var seq int64
	err = db.QueryRow(`SELECT patient_id, seq FROM access_events WHERE json_extract(doc, '$.action') = 'grant.created'`).Scan(&patientID, &seq)
	if err == nil {
		_, err = db.Exec(`UPDATE access_events SET doc = json_set(doc, '$.action', 'settings.changed') WHERE patient_id = ? AND seq = ?`, patientID, seq)
	}
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	k.stdout.Reset()
	err = k.run(context.Background(), "admin", "verify-audit", "--patient", patientID)
	if !errors.Is(err, errChainBroken) || !strings.Contains(k.stdout.String(), "BROKEN  patient "+patientID) ||
		!strings.Contains(k.stdout.String(), "first break at seq "+strconv.FormatInt(seq, 10)) {
		t.Fatalf("verify-audit after tampering: %v\n%s", err, k.stdout.String())
	}
}

// Entries stored before their reading existed (an older version, a restored
// backup) are in no section; rebuild-summaries reads them again, and the summary
// is whole once more.
func TestRebuildSummariesReadsOldEntriesAgain(t *testing.T) {
	k := newKith(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	base, done := k.serve(ctx)
	amelia := demoToken(t, base, "amelia")
	sections := func() map[string]float64 {
		status, s := call(t, "GET", base+"/v1/me/record/summary", amelia, "")
		if status != 200 {
			t.Fatalf("summary = %d", status)
		}
		out := map[string]float64{}
		for _, sec := range s["sections"].([]any) {
			m := sec.(map[string]any)
			out[m["section"].(string)] = m["current"].(float64) + m["past"].(float64)
		}
		return out
	}
	before := sections()
	if before["allergies"] == 0 || before["results"] == 0 {
		t.Fatalf("the demo record should have allergies and results: %v", before)
	}

	cancel()
	<-done

	// Make every entry as an older version left it (no reading of its resource),
	// as a restored backup would be before Kith starts on it; an older version kept
	// no summary docs either.
	db, err := sql.Open("sqlite", filepath.Join(k.env["KITH_DATA_DIR"], "kith.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE entries SET section = '', current = 0,
		doc = json_remove(doc, '$.section', '$.current', '$.rank', '$.detail', '$.datePrecision');
		DELETE FROM summary_docs`); err != nil {
		t.Fatal(err)
	}
	k.stderr.Reset() // else serve would find the first start's listening line
	ctx, cancel = context.WithCancel(context.Background())
	base, done = k.serve(ctx)
	for sec, n := range sections() {
		if n != 0 {
			t.Fatalf("after wiping the readings %s still counts %v", sec, n)
		}
	}
	cancel()
	<-done

	k.stdout.Reset()
	if err := k.run(context.Background(), "admin", "rebuild-summaries"); err != nil || !strings.Contains(k.stdout.String(), " read anew") {
		t.Fatalf("rebuild-summaries: %v\n%s", err, k.stdout.String())
	}
	k.stdout.Reset()
	if err := k.run(context.Background(), "admin", "rebuild-summaries"); err != nil || !strings.Contains(k.stdout.String(), "entries, 0 read anew") {
		t.Fatalf("rebuild-summaries again should change nothing: %v\n%s", err, k.stdout.String())
	}

	k.stderr.Reset() // else serve would find the first start's listening line
	ctx, cancel = context.WithCancel(context.Background())
	base, done = k.serve(ctx)
	defer func() { cancel(); <-done }()
	amelia = demoToken(t, base, "amelia")
	if after := sections(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Fatalf("after the rebuild the sections count %v, before %v", after, before)
	}
}
