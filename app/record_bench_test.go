package app_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/kith-health/kith/adapters/fixtures"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
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
	var resources int
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		p, err := a.Me(ctx, identity.Principal{Kind: identity.KindPatient, Patient: patient.Claims{
			Issuer: "https://idp.test", Subject: fmt.Sprint("bench-", i), Proofing: patient.ProofingP9}})
		if err != nil {
			b.Fatal(err)
		}
		r, err := a.Ingest(ctx, p, "exchange-a", data)
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
	a, p, caller := recordApp(b)
	ctx := context.Background()
	if _, err := a.Ingest(ctx, p, "exchange-a", data); err != nil {
		b.Fatal(err)
	}
	b.Run("summary", func(b *testing.B) {
		for b.Loop() {
			if _, err := a.RecordSummary(ctx, caller); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("page-of-50", func(b *testing.B) {
		for b.Loop() {
			if _, _, err := a.RecordEntries(ctx, caller, app.EntryQuery{Limit: 50}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
