package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/synthetic"
)

// runAsKith makes the test binary run as the kith binary, so a test can start kith
// as a process of its own and kill it.
const runAsKith = "KITH_TEST_RUN_AS_KITH"

func TestMain(m *testing.M) {
	if os.Getenv(runAsKith) == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// kithClient calls a running kith at base.
type kithClient struct {
	base string
}

// kithProcess is `kith serve` in a process of its own on dataDir.
type kithProcess struct {
	kithClient
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has ended
}

func startKith(t *testing.T, dataDir string, env ...string) *kithProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve")
	cmd.Env = append(os.Environ(), runAsKith+"=1", "KITH_DATA_DIR="+dataDir, "KITH_ADDR=127.0.0.1:0",
		"KITH_LOG_FORMAT=json", "KITH_DEMO_DATA=false", "KITH_BODY_LIMIT_BYTES=67108864", "KITH_SANDBOX=false")
	cmd.Env = append(cmd.Env, env...) // the last of a repeated variable wins
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k := &kithProcess{cmd: cmd, done: make(chan struct{})}
	listening := regexp.MustCompile(`kith listening on (http://127\.0\.0\.1:\d+)`)
	found := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(stderr)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			if m := listening.FindStringSubmatch(lines.Text()); m != nil {
				found <- m[1]
			}
		}
		cmd.Wait()
		close(k.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-k.done
	})
	select {
	case k.base = <-found:
	case <-k.done:
		t.Fatalf("kith stopped before listening: %v", cmd.ProcessState)
	case <-time.After(60 * time.Second):
		t.Fatal("kith did not start within a minute")
	}
	return k
}

// kill9 ends the process as SIGKILL would: nothing of it runs after.
func (k *kithProcess) kill9(t *testing.T) {
	t.Helper()
	if err := k.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-k.done
}

func (k *kithClient) do(t *testing.T, method, path, token string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, k.base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/fhir+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, out
}

func (k *kithClient) token(t *testing.T, subject, nhs, dob string) string {
	t.Helper()
	return devPatientToken(t, k.base, map[string]string{"subject": subject, "nhsNumber": nhs, "dateOfBirth": dob})
}

type sectionCounts struct {
	Section string `json:"section"`
	Current int    `json:"current"`
	Past    int    `json:"past"`
}

type summaryCounts struct {
	Sections   []sectionCounts `json:"sections"`
	Categories []struct {
		Category string `json:"category"`
		Count    int    `json:"count"`
	} `json:"categories"`
}

func (k *kithClient) summary(t *testing.T, token string) summaryCounts {
	t.Helper()
	status, body := k.do(t, "GET", "/v1/me/record/summary", token, nil)
	if status != 200 {
		t.Fatalf("summary = %d %s", status, body)
	}
	var s summaryCounts
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

// count pages through the entries a query lists and counts them.
func (k *kithClient) count(t *testing.T, token, query string) int {
	t.Helper()
	n, cursor := 0, ""
	for {
		path := "/v1/me/record/entries?limit=200&" + query
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		status, body := k.do(t, "GET", path, token, nil)
		if status != 200 {
			t.Fatalf("entries?%s = %d %s", query, status, body)
		}
		var page struct {
			Entries    []json.RawMessage `json:"entries"`
			NextCursor string            `json:"nextCursor"`
		}
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		n += len(page.Entries)
		if page.NextCursor == "" {
			return n
		}
		cursor = page.NextCursor
	}
}

// checkSummaryIsTheEntries fails unless every count the summary gives is what
// listing the stored entries finds.
func (k *kithClient) checkSummaryIsTheEntries(t *testing.T, token string) summaryCounts {
	t.Helper()
	s := k.summary(t, token)
	for _, sec := range s.Sections {
		for state, want := range map[string]int{"current": sec.Current, "past": sec.Past} {
			if got := k.count(t, token, "section="+sec.Section+"&state="+state); got != want {
				t.Errorf("the summary says %s has %d %s items; the entries list %d", sec.Section, want, state, got)
			}
		}
	}
	for _, c := range s.Categories {
		if got := k.count(t, token, "category="+c.Category); got != c.Count {
			t.Errorf("the summary counts %d %s; the entries list %d", c.Count, c.Category, got)
		}
	}
	return s
}

// largeUpload is a synthetic record of about 4,000 resources for the patient with
// this NHS number and birth date, and how many resources it holds.
func largeUpload(t *testing.T, nhs, dob string) ([]byte, int) {
	t.Helper()
	bundle, err := synthetic.Record(synthetic.Person{NHSNumber: nhs, GivenName: "Cut", FamilyName: "Short", BirthDate: dob, Gender: "male"},
		synthetic.Options{Seed: 9, Scale: 40, Now: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	return bundle, bytes.Count(bundle, []byte(`"fullUrl"`))
}

// uploadInBackground sends the upload and does not wait for its answer, which may
// never come.
func (k *kithClient) uploadInBackground(token string, bundle []byte) {
	go func() {
		req, _ := http.NewRequest("POST", k.base+"/v1/me/record/uploads", bytes.NewReader(bundle))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/fhir+json")
		if res, err := http.DefaultClient.Do(req); err == nil {
			res.Body.Close()
		}
	}()
}

// storedEntries counts the entries in the SQLite store under dataDir, read from
// outside kith while it writes.
func storedEntries(t *testing.T, dataDir string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "kith.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.QueryRowContext(context.Background(), `SELECT count(*) FROM entries`).Scan(&n)
	return n
}

// waitForEntries waits until the store under dataDir holds at least n entries.
func waitForEntries(t *testing.T, dataDir string, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for storedEntries(t, dataDir) < n {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d entries stored in two minutes", n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// finishesLikeACleanUpload checks the record a cut-short upload left, then sends the
// upload again and compares the summary with that of an uninterrupted upload.
func (k *kithClient) finishesLikeACleanUpload(t *testing.T, token, clean string, bundle []byte) {
	t.Helper()
	k.checkSummaryIsTheEntries(t, token)
	if status, body := k.do(t, "POST", "/v1/me/record/uploads", token, bundle); status != 200 {
		t.Fatalf("upload again = %d %s", status, body)
	}
	repaired := k.checkSummaryIsTheEntries(t, token)
	if status, body := k.do(t, "POST", "/v1/me/record/uploads", clean, bundle); status != 200 {
		t.Fatalf("clean upload = %d %s", status, body)
	}
	if want := k.summary(t, clean); fmt.Sprint(repaired) != fmt.Sprint(want) {
		t.Fatalf("after the cut and a second upload the summary is\n %+v\nan uninterrupted upload gives\n %+v", repaired, want)
	}
}

// kill -9 in the middle of a large upload, then a restart: the summary is what
// the stored entries say, and uploading the same bundle again finishes the record
// exactly as an uninterrupted upload makes it.
func TestKillDuringAnUploadLeavesARecordTheSummaryTellsTruly(t *testing.T) {
	if testing.Short() {
		t.Skip("starts kith twice and uploads about 4,000 resources three times")
	}
	const nhs, dob = "9990000042", "1958-07-21"
	bundle, total := largeUpload(t, nhs, dob)
	dataDir := t.TempDir()

	k := startKith(t, dataDir)
	k.uploadInBackground(k.token(t, "killed-upload", nhs, dob), bundle)
	waitForEntries(t, dataDir, total/10)
	k.kill9(t)
	stored := storedEntries(t, dataDir)
	if stored >= total {
		t.Fatalf("the upload finished (%d entries) before the kill: nothing was interrupted", stored)
	}
	t.Logf("killed with %d of %d entries stored", stored, total)

	k = startKith(t, dataDir)
	k.finishesLikeACleanUpload(t, k.token(t, "killed-upload", nhs, dob), k.token(t, "clean-upload", nhs, dob), bundle)
}

// SIGTERM during a large upload, with a shutdown timeout far shorter than the
// upload: the upload is told to stop, stops between two entries, and serve says
// so; after a restart the record is as the kill test wants it.
func TestAnUploadOutlivingTheShutdownTimeoutStopsCleanly(t *testing.T) {
	if testing.Short() {
		t.Skip("uploads about 4,000 resources three times")
	}
	const nhs, dob = "9990000042", "1958-07-21"
	bundle, total := largeUpload(t, nhs, dob)
	k := newKith(t, map[string]string{"KITH_SHUTDOWN_TIMEOUT": "50ms", "KITH_DEMO_DATA": "false", "KITH_BODY_LIMIT_BYTES": "67108864"})
	dataDir := k.env["KITH_DATA_DIR"]
	ctx, stop := context.WithCancel(context.Background())
	base, done := k.serve(ctx)
	c := &kithClient{base: base}
	c.uploadInBackground(c.token(t, "stopped-upload", nhs, dob), bundle)
	waitForEntries(t, dataDir, total/10)
	stop()
	err := <-done
	if stored := storedEntries(t, dataDir); stored < total && (err == nil || !strings.Contains(err.Error(), "stopped cleanly: true")) {
		t.Fatalf("serve stopped with %d of %d entries stored and said %v; want the upload stopped cleanly", stored, total, err)
	}
	t.Logf("stopped with %d of %d entries stored: %v", storedEntries(t, dataDir), total, err)

	ctx, stop = context.WithCancel(context.Background())
	k.stderr.Reset() // else serve would find the first start's listening line
	base, done = k.serve(ctx)
	t.Cleanup(func() {
		stop()
		<-done
	})
	c = &kithClient{base: base}
	c.finishesLikeACleanUpload(t, c.token(t, "stopped-upload", nhs, dob), c.token(t, "clean-upload", nhs, dob), bundle)
}
