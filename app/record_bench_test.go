package app_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/fixtures"
	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/identity"
)

// BenchmarkIngestLargestFixture ingests the largest fixture bundle into a fresh
// patient's record each iteration, on the real SQLite store.
func BenchmarkIngestLargestFixture(b *testing.B) {
	data, err := os.ReadFile(fixtures.Largest(b))
	if err != nil {
		b.Fatal(err)
	}
	a, _, _ := recordApp(b)
	ctx := context.Background()
	claims := claimsFor(b, "", data)
	var resources int
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		claims.Subject = fmt.Sprint("bench-", i)
		p, err := a.Me(ctx, identity.Principal{Kind: identity.KindPatient, Patient: claims})
		if err != nil {
			b.Fatal(err)
		}
		r, err := a.Ingest(ctx, p, app.Delivery{Source: "exchange-a", Data: data})
		if err != nil {
			b.Fatal(err)
		}
		resources += r.Received
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(resources)/b.Elapsed().Seconds(), "resources/s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(resources), "B/resource")
}

// BenchmarkReadSummaryVsPage reads the summary of a record of the largest fixture,
// and a page of 50 entries, so their costs compare within one run.
func BenchmarkReadSummaryVsPage(b *testing.B) {
	data, err := os.ReadFile(fixtures.Largest(b))
	if err != nil {
		b.Fatal(err)
	}
	a, p, caller := recordAppAs(b, claimsFor(b, "bench", data))
	ctx := context.Background()
	if _, err := a.Ingest(ctx, p, app.Delivery{Source: "exchange-a", Data: data}); err != nil {
		b.Fatal(err)
	}
	b.Run("summary", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.RecordSummary(ctx, caller, app.RecordRef{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page-of-50", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := a.RecordEntries(ctx, caller, app.RecordRef{}, app.EntryQuery{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkExport50k exports a synthetic record of about 50,000 entries and reports
// the heap the export adds at its peak: streaming keeps it flat, whatever the size.
func BenchmarkExport50k(b *testing.B) {
	data, err := synthetic.Record(synthetic.Person{NHSNumber: "9990000042", GivenName: "Bench", FamilyName: "Mark",
		BirthDate: "1960-01-01", Gender: "female"}, synthetic.Options{Seed: 1, Scale: 520, Years: 5, Now: time.Now()})
	if err != nil {
		b.Fatal(err)
	}
	a, p, caller := recordAppAs(b, claimsFor(b, "bench", data))
	ctx := context.Background()
	r, err := a.Ingest(ctx, p, app.Delivery{Source: "exchange-a", Data: data})
	if err != nil {
		b.Fatal(err)
	}
	data = nil
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	var peak uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
				runtime.ReadMemStats(&m)
				if m.HeapInuse > peak {
					peak = m.HeapInuse
				}
			}
		}
	}()
	var bytesOut int64
	for b.Loop() {
		export, err := a.ExportRecord(ctx, caller, app.RecordRef{})
		if err != nil {
			b.Fatal(err)
		}
		n := &countingWriter{}
		if err := export(n); err != nil {
			b.Fatal(err)
		}
		bytesOut = n.n
	}
	close(stop)
	<-sampled
	b.ReportMetric(float64(r.Created), "entries")
	b.ReportMetric(float64(bytesOut)/(1<<20), "MB-exported")
	b.ReportMetric(float64(peak-min(peak, base.HeapInuse))/(1<<20), "MB-peak-heap-added")
}

type countingWriter struct{ n int64 }

func (w *countingWriter) Write(p []byte) (int, error) { w.n += int64(len(p)); return len(p), nil }
