package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// firstReads is every seeded patient reading their own summary once, straight
// after seeding: the first read of each record since it last changed, which has
// to read the record's entries (every later read, until the next change, is
// answered from the summary doc that read kept). The scenarios that follow run
// on the same records, so they measure the reads after it.
type firstReads struct {
	Workers       int
	Reads, Errors int
	Took          time.Duration
	P50, P99      time.Duration
}

func readEverySummaryOnce(ctx context.Context, base string, patients []seedPatient, workers int) (*firstReads, error) {
	// One kept connection per worker, and gzip taken as a phone takes it.
	hc := &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: workers}}
	next := make(chan seedPatient)
	var mu sync.Mutex
	r := &firstReads{Workers: workers}
	var took []time.Duration
	var wg sync.WaitGroup
	began := time.Now()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				t0 := time.Now()
				ok := readSummary(ctx, hc, base, p.Token)
				d := time.Since(t0)
				mu.Lock()
				r.Reads++
				took = append(took, d)
				if !ok {
					r.Errors++
				}
				mu.Unlock()
			}
		}()
	}
	for _, p := range patients {
		select {
		case next <- p:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.Took = time.Since(began)
	r.P50, r.P99, _ = spread(took)
	return r, nil
}

// spread is the median, 99th percentile and longest of took (sorted in place);
// zeros when it is empty.
func spread(took []time.Duration) (p50, p99, longest time.Duration) {
	slices.Sort(took)
	n := len(took)
	if n == 0 {
		return 0, 0, 0
	}
	return took[n/2], took[min(n-1, n*99/100)], took[n-1]
}

func readSummary(ctx context.Context, hc *http.Client, base, token string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/v1/me/record/summary", nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := hc.Do(req)
	if err != nil {
		return false
	}
	defer res.Body.Close()
	_, err = io.Copy(io.Discard, res.Body)
	return err == nil && res.StatusCode == http.StatusOK
}

func (f *firstReads) markdown() string {
	return fmt.Sprintf("- Own summary, first read of every record since its last change (each patient once, %d at a time, "+
		"before the scenarios): %d reads in %s, %.0f req/s, p50 %s, p99 %s, %d errors\n",
		f.Workers, f.Reads, f.Took.Round(time.Millisecond), float64(f.Reads)/f.Took.Seconds(),
		f.P50.Round(10*time.Microsecond), f.P99.Round(10*time.Microsecond), f.Errors)
}
