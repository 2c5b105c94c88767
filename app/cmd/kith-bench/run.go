package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// runOptions are run's flags.
type runOptions struct {
	kith        string
	results     string
	patients    int
	shared      int
	seedWorkers int
	workers     int
	duration    time.Duration
	logLevel    string
	pprof       string
	only        string
	// store is where kith keeps its data: sqlite, ferretdb (an in-process FerretDB
	// started here) or mongodb (-mongodb-uri, or KITH_TEST_MONGODB_URI).
	store, mongoURI string
	// fixtures is the shared fixtures folder (KITH_FIXTURES): its bundles are
	// uploaded after seeding, for the ingest rate on real-world records.
	fixtures string
	// sweep lists worker counts each scenario also runs at, to find the
	// concurrency that reaches 80% of its peak and the p99 there.
	sweep []int
}

func runCommand(ctx context.Context, args []string) error {
	var o runOptions
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	fs.StringVar(&o.kith, "kith", "bench/bin/kith", "the kith binary to measure")
	fs.StringVar(&o.results, "results", "bench/results", "folder for this run's results (a timestamped folder in it)")
	fs.IntVar(&o.patients, "patients", 200, "patients to seed (10000 works; seeding then takes a while)")
	fs.IntVar(&o.shared, "shared", 50, "of them, how many grant the demo organisation, redeem a share code and register a device")
	fs.IntVar(&o.seedWorkers, "seed-workers", 4, "concurrent seeding requests")
	fs.IntVar(&o.workers, "workers", 32, "concurrent workers per scenario")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "how long each scenario runs")
	fs.StringVar(&o.logLevel, "log-level", "info", "the server's KITH_LOG_LEVEL (info logs every request, as production does)")
	fs.StringVar(&o.pprof, "pprof", "", "serve kith's profiler on this loopback address (KITH_PPROF_ADDR), to profile a scenario while it runs")
	fs.StringVar(&o.only, "only", "", "run only the scenarios whose name matches this regular expression (the ceiling always runs)")
	fs.StringVar(&o.store, "store", "sqlite", "kith's store: sqlite (embedded), ferretdb (the MongoDB store over an in-process FerretDB v1) "+
		"or mongodb (a real MongoDB at -mongodb-uri or KITH_TEST_MONGODB_URI; use a database of its own)")
	fs.StringVar(&o.mongoURI, "mongodb-uri", os.Getenv("KITH_TEST_MONGODB_URI"), "the MongoDB for -store mongodb")
	fixtures := os.Getenv("KITH_FIXTURES")
	if fixtures == "" {
		fixtures = "../shared/fixtures"
	}
	fs.StringVar(&o.fixtures, "fixtures", fixtures, "the shared fixtures folder (KITH_FIXTURES): its Synthea and UK Core bundles are uploaded "+
		"after seeding, one at a time, for the ingest rate on real records; \"\" to skip")
	sweep := fs.String("sweep", "", "worker counts to run each scenario at besides -workers (e.g. 1,2,4,8,16,32,64): "+
		"the table then says, per scenario, the lowest count reaching 80% of its peak and the p99 there")
	if err := fs.Parse(args); err != nil {
		return err
	}
	for _, f := range strings.FieldsFunc(*sweep, func(r rune) bool { return r == ',' }) {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return fmt.Errorf("run: -sweep: %q is not a worker count", f)
		}
		o.sweep = append(o.sweep, n)
	}
	if _, err := regexp.Compile(o.only); err != nil {
		return fmt.Errorf("run: -only: %w", err)
	}
	switch {
	case o.store == "mongodb" && o.mongoURI == "":
		return errors.New("run: -store mongodb needs -mongodb-uri (or KITH_TEST_MONGODB_URI)")
	case o.store != "sqlite" && o.store != "ferretdb" && o.store != "mongodb":
		return fmt.Errorf("run: -store %q: sqlite, ferretdb or mongodb", o.store)
	}
	if o.patients < 1 || o.shared < 1 || o.seedWorkers < 1 || o.workers < 1 || o.duration <= 0 {
		return errors.New("run: -patients, -shared, -seed-workers and -workers must be at least 1, -duration positive")
	}
	return run(ctx, o, strings.Join(os.Args, " "))
}

// run is the whole benchmark in one go, so every ratio compares numbers taken on
// the same machine in the same minutes.
func run(ctx context.Context, o runOptions, command string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	dir := filepath.Join(o.results, time.Now().UTC().Format("20060102T150405Z"))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// The store and the targets (which hold tokens) live in a temporary folder, so
	// nothing but numbers and the server's log stays behind.
	tmp, err := os.MkdirTemp("", "kith-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	kithLog, err := os.Create(filepath.Join(dir, "kith.log"))
	if err != nil {
		return err
	}
	defer kithLog.Close()
	kithAddr, err := freeAddr()
	if err != nil {
		return err
	}
	base := "http://" + kithAddr
	env := kithEnv(kithAddr, filepath.Join(tmp, "data"), o.logLevel, o.pprof)
	switch o.store {
	case "ferretdb":
		ferretAddr, err := freeAddr()
		if err != nil {
			return err
		}
		ferretDir := filepath.Join(tmp, "ferretdb")
		if err := os.MkdirAll(ferretDir, 0o700); err != nil {
			return err
		}
		ferret, err := start("kith-bench ferret", os.Stderr, nil, self, "ferret", "-addr", ferretAddr, "-dir", ferretDir)
		if err != nil {
			return err
		}
		defer ferret.stop(10 * time.Second)
		if err := ferret.waitTCP(ctx, ferretAddr, 30*time.Second); err != nil {
			return err
		}
		// One connection: FerretDB v1 does a conditional update as a query then a
		// write, which only one connection's ordering makes atomic (see mongotest).
		env = append(env, "KITH_STORE=mongodb", "KITH_MONGODB_URI=mongodb://"+ferretAddr+"/?maxPoolSize=1")
	case "mongodb":
		env = append(env, "KITH_STORE=mongodb", "KITH_MONGODB_URI="+o.mongoURI,
			"KITH_MONGODB_DATABASE=kith_bench_"+time.Now().UTC().Format("20060102T150405"))
	}
	kith, err := start("kith serve", kithLog, env, o.kith, "serve")
	if err != nil {
		return err
	}
	defer kith.stop(25 * time.Second)
	if err := kith.waitReady(ctx, base+"/readyz", time.Minute); err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "seeding %d patients (%d shared) on %s\n", o.patients, o.shared, base)
	c := newClient(base)
	w, err := seed(ctx, c, o.patients, o.shared, o.seedWorkers, os.Stderr)
	if err != nil {
		return err
	}

	fmt.Fprintf(os.Stderr, "reading every patient's summary once\n")
	first, err := readEverySummaryOnce(ctx, base, w.Patients, o.workers)
	if err != nil {
		return fmt.Errorf("first reads: %w", err)
	}

	var fixtureRun *fixtureIngest
	if _, err := os.Stat(filepath.Join(o.fixtures, "fhir")); o.fixtures != "" && err == nil {
		fmt.Fprintf(os.Stderr, "uploading the fixture bundles under %s\n", o.fixtures)
		if fixtureRun, err = ingestFixtures(ctx, c, o.fixtures, nhsNumbers(o.patients + 200)[o.patients:]); err != nil {
			return fmt.Errorf("fixture ingest: %w", err)
		}
	}

	// The ceiling answers as many bytes as a real summary (the hot patient's, a
	// typical record), uncompressed: the body Kith's handler has to produce.
	summary, err := c.call(ctx, http.MethodGet, "/v1/me/record/summary", w.Patients[0].Token, nil, nil, nil)
	if err != nil {
		return err
	}
	ceilingAddr, err := freeAddr()
	if err != nil {
		return err
	}
	ceiling, err := start("kith-bench ceiling", os.Stderr, nil, self, "ceiling", "-addr", ceilingAddr, "-bytes", strconv.Itoa(len(summary)))
	if err != nil {
		return err
	}
	defer ceiling.stop(5 * time.Second)
	if err := ceiling.waitReady(ctx, "http://"+ceilingAddr+"/", 30*time.Second); err != nil {
		return err
	}

	var rows []row
	only := regexp.MustCompile(o.only)
	for _, s := range scenarios(base, "http://"+ceilingAddr, w) {
		if s.Slug != "ceiling" && !only.MatchString(s.Name) {
			continue
		}
		fmt.Fprintf(os.Stderr, "%s: %d targets, %s, %d workers\n", s.Name, len(s.Targets), o.duration, o.workers)
		rep, err := load(ctx, self, tmp, dir, s, o.workers, o)
		if err != nil {
			return fmt.Errorf("%s: %w", s.Name, err)
		}
		rw := row{Name: s.Name, Report: rep}
		for _, n := range o.sweep {
			if s.Slug == "ceiling" {
				break
			}
			fmt.Fprintf(os.Stderr, "%s: %d workers\n", s.Name, n)
			at, err := load(ctx, self, tmp, dir, s, n, o)
			if err != nil {
				return fmt.Errorf("%s at %d workers: %w", s.Name, n, err)
			}
			rw.Sweep = append(rw.Sweep, sweepPoint{Workers: n, Report: at})
		}
		rows = append(rows, rw)
	}

	fmt.Fprintf(os.Stderr, "measuring alert latency\n")
	alerts, err := measureAlertLatency(ctx, c, w)
	if err != nil {
		return fmt.Errorf("alert latency: %w", err)
	}

	rss, err := kith.peakRSS()
	if err != nil {
		return fmt.Errorf("kith's peak RSS: %w", err)
	}
	r := summaryReport{Command: command, Options: o, Seeded: w, Fixtures: fixtureRun, FirstReads: first, Alerts: alerts, SummaryBytes: len(summary), PeakRSS: rss, Rows: rows}
	md := r.markdown()
	fmt.Print(md)
	if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte(md), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "results in %s\n", dir)
	return nil
}

// kithEnv runs kith as a developer would, on a fresh store, with what the
// benchmark must not measure switched off: no sandbox exchange and no pulls (they
// would compete for the store at random moments), no demo cast (only seeded
// patients in the store). Share code redemptions are throttled per client address,
// and every redemption here comes from one, so the limit is lifted; organisation
// tokens last the longest allowed, so one outlives the run.
func kithEnv(addr, dataDir, logLevel, pprof string) []string {
	env := []string{
		"KITH_MODE=development",
		"KITH_ADDR=" + addr,
		"KITH_DATA_DIR=" + dataDir,
		"KITH_SANDBOX=false",
		"KITH_SYNC=false",
		"KITH_DEMO_DATA=false",
		"KITH_SHARE_ATTEMPT_LIMIT=100000000",
		"KITH_ORG_TOKEN_TTL=1h",
		"KITH_LOG_LEVEL=" + logLevel,
	}
	if pprof != "" {
		env = append(env, "KITH_PPROF_ADDR="+pprof)
	}
	return env
}

// load writes a scenario's targets and runs a load process on them.
func load(ctx context.Context, self, tmp, dir string, s scenario, workers int, o runOptions) (loadReport, error) {
	var rep loadReport
	raw, err := json.Marshal(s.Targets)
	if err != nil {
		return rep, err
	}
	targets := filepath.Join(tmp, s.Slug+".targets.json")
	if err := os.WriteFile(targets, raw, 0o600); err != nil {
		return rep, err
	}
	out := filepath.Join(dir, s.Slug+".json")
	if workers != o.workers {
		out = filepath.Join(dir, fmt.Sprintf("%s.%dw.json", s.Slug, workers))
	}
	cmd := exec.CommandContext(ctx, self, "load", "-targets", targets, "-rate", "0",
		"-workers", strconv.Itoa(workers), "-duration", o.duration.String(), "-out", out, "-name", s.Slug)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return rep, err
	}
	raw, err = os.ReadFile(out)
	if err != nil {
		return rep, err
	}
	return rep, json.Unmarshal(raw, &rep)
}
