package main

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
)

// row is one scenario's result.
type row struct {
	Name   string
	Report loadReport
	Sweep  []sweepPoint // with -sweep
}

// sweepPoint is a scenario run at one worker count.
type sweepPoint struct {
	Workers int
	Report  loadReport
}

// atEightyPercent is the lowest worker count of the sweep (the main run
// included) whose throughput reaches 80% of the best, and the best.
func (r row) atEightyPercent(workers int) (at sweepPoint, peak float64) {
	points := append([]sweepPoint{{Workers: workers, Report: r.Report}}, r.Sweep...)
	for _, p := range points {
		peak = max(peak, p.Report.Metrics.Throughput)
	}
	at.Workers = -1
	for _, p := range points {
		if p.Report.Metrics.Throughput >= 0.8*peak && (at.Workers < 0 || p.Workers < at.Workers) {
			at = p
		}
	}
	return at, peak
}

// summaryReport is everything summary.md says.
type summaryReport struct {
	Command      string
	Options      runOptions
	Seeded       *seeded
	Fixtures     *fixtureIngest // nil when the fixtures were not found
	FirstReads   *firstReads
	Alerts       *alertLatency
	SummaryBytes int
	PeakRSS      int64
	Rows         []row // the ceiling first
}

func (r summaryReport) markdown() string {
	var b strings.Builder
	o, w := r.Options, r.Seeded
	fmt.Fprintf(&b, "# kith-bench %s\n\n", time.Now().UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "`%s`: %d patients (%d shared), %d workers, %s per scenario, rate unbounded; "+
		"server and load share %d CPUs (%s %s/%s).\n\n",
		r.Command, len(w.Patients), w.Shared, o.workers, o.duration, runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
	fmt.Fprintf(&b, "Store: %s.\n\n", storeLabel(o.store))

	ceiling := r.Rows[0].Report.Metrics.Throughput
	b.WriteString("| scenario | req/s | p50 | p99 | errors | % of bare Fiber |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: |\n")
	for _, x := range r.Rows {
		m := x.Report.Metrics
		share := "-"
		if ceiling > 0 {
			share = fmt.Sprintf("%.1f%%", 100*m.Throughput/ceiling)
		}
		fmt.Fprintf(&b, "| %s | %.0f | %s | %s | %s | %s |\n", x.Name, m.Throughput,
			ms(m.Latencies.P50), ms(m.Latencies.P99), errorCell(x.Report), share)
	}

	if len(o.sweep) > 0 {
		b.WriteString("\n| scenario | peak req/s | workers at 80% of peak | req/s there | p50 there | p99 there | errors there |\n")
		b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
		for _, x := range r.Rows[1:] {
			at, peak := x.atEightyPercent(o.workers)
			m := at.Report.Metrics
			fmt.Fprintf(&b, "| %s | %.0f | %d | %.0f | %s | %s | %s |\n", x.Name, peak, at.Workers, m.Throughput,
				ms(m.Latencies.P50), ms(m.Latencies.P99), errorCell(at.Report))
		}
	}

	b.WriteString("\n")
	fmt.Fprintf(&b, "- req/s is 2xx answers per second; errors are answers other than 2xx, and transport failures.\n")
	fmt.Fprintf(&b, "- Ceiling body: %d bytes of JSON, the size of the hot patient's summary uncompressed (Kith gzips its own answers, the ceiling does not).\n", r.SummaryBytes)
	fmt.Fprintf(&b, "- kith peak RSS (VmHWM at the end): %.1f MiB\n", float64(r.PeakRSS)/(1<<20))
	fmt.Fprintf(&b, "- Ingest while seeding: %d resources in %d records in %s, %.0f resources/s "+
		"(end to end with %d concurrent patients: token, account, generation, upload)\n",
		w.Resources, len(w.Patients), w.IngestTime.Round(time.Millisecond), float64(w.Resources)/w.IngestTime.Seconds(), o.seedWorkers)
	fmt.Fprintf(&b, "- Record sizes: %s\n", scaleMix(w.Patients))
	if r.FirstReads != nil {
		b.WriteString(r.FirstReads.markdown())
	}
	if r.Alerts != nil && r.Alerts.Probes > 0 {
		b.WriteString(r.Alerts.markdown())
	}
	if f := r.Fixtures; f != nil && f.Resources > 0 {
		fmt.Fprintf(&b, "- Ingest of the fixture bundles (Synthea, UK Core), one at a time over the API (the uploads timed, not the sign-ins): %d resources in %d bundles in %s, "+
			"%.0f resources/s; kith allocated %.1f KB per resource during the uploads\n",
			f.Resources, f.Bundles, f.Took.Round(time.Millisecond), float64(f.Resources)/f.Took.Seconds(), float64(f.Allocated)/float64(f.Resources)/1000)
	} else {
		fmt.Fprintf(&b, "- Fixture ingest: not run (no fixtures at -fixtures %q)\n", o.fixtures)
	}

	for _, x := range r.Rows {
		if len(x.Report.ErrorBodies) == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## Errors: %s\n\n", x.Name)
		for _, e := range x.Report.ErrorBodies {
			fmt.Fprintf(&b, "- `%s`\n", strings.ReplaceAll(e, "`", "'"))
		}
	}
	return b.String()
}

func errorCell(r loadReport) string {
	if r.Non2xx == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.2f%%)", r.Non2xx, 100*float64(r.Non2xx)/float64(r.Metrics.Requests))
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

// scaleMix says how many records of each scale were seeded, with their resources.
func scaleMix(ps []seedPatient) string {
	count, resources := map[int]int{}, map[int]int{}
	var scales []int
	for _, p := range ps {
		if count[p.Scale] == 0 {
			scales = append(scales, p.Scale)
		}
		count[p.Scale]++
		resources[p.Scale] += p.Resources
	}
	var parts []string
	slices.Sort(scales)
	for _, s := range scales {
		parts = append(parts, fmt.Sprintf("%d at scale %d (%d resources each on average)", count[s], s, resources[s]/count[s]))
	}
	return strings.Join(parts, ", ")
}

// storeLabel says what the figures were measured on.
func storeLabel(store string) string {
	switch store {
	case "ferretdb":
		return "the MongoDB store over FerretDB v1 (SQLite handler, one connection, in a process of its own on this machine): " +
			"FerretDB's own costs dominate, so these figures say little about Kith on MongoDB"
	case "mongodb":
		return "the MongoDB store on the MongoDB at -mongodb-uri"
	}
	return "SQLite (embedded, the default)"
}
