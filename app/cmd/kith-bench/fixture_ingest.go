package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/record"
)

// fixtureIngest is the upload of the shared real-world FHIR bundles, one at a
// time as one phone would, each by the patient it is about.
type fixtureIngest struct {
	Bundles, Resources int
	// Took is the uploads' time alone: each bundle's patient signs in first,
	// untimed, since signing in is not ingest.
	Took time.Duration
	// Allocated is what kith's Go heap allocated during the uploads (its
	// go_memstats_alloc_bytes_total either side of each), nothing else running.
	Allocated int64
}

// ingestFixtures uploads every Synthea and UK Core bundle under dir/fhir.
func ingestFixtures(ctx context.Context, c *client, dir string, nhs []string) (*fixtureIngest, error) {
	var files []string
	for _, sub := range []string{"synthea", "ukcore"} {
		m, err := filepath.Glob(filepath.Join(dir, "fhir", sub, "*.json"))
		if err != nil {
			return nil, err
		}
		files = append(files, m...)
	}
	sort.Strings(files)
	if len(files) == 0 {
		return nil, fmt.Errorf("no Synthea or UK Core bundles under %s/fhir", dir)
	}
	r := &fixtureIngest{}
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		if !strings.Contains(string(data[:min(len(data), 200)]), `"Bundle"`) {
			continue // a lone example resource, not a record
		}
		if err := uploadAsItsPatient(ctx, c, i, data, nhs[i%len(nhs)], r); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Base(f), err)
		}
	}
	return r, nil
}

// uploadAsItsPatient signs in as the bundle's Patient (its NHS number and birth
// date, or spare where it gives none) and uploads it, adding the upload's
// resources, time and allocation to r.
func uploadAsItsPatient(ctx context.Context, c *client, i int, data []byte, spare string, r *fixtureIngest) error {
	ins, err := record.ParseInput(data, 0)
	if err != nil {
		return err
	}
	claims := map[string]any{"subject": fmt.Sprintf("kith-bench-fixture-%03d", i), "nhsNumber": spare, "identityLevel": "P9"}
	nhs, dob := record.DeliveryIdentity(ins)
	if nhs != "" {
		claims["nhsNumber"] = nhs
	}
	if dob != "" {
		claims["dateOfBirth"] = dob
	}
	var tok tokenResponse
	if _, err := c.call(ctx, http.MethodPost, "/dev/tokens", "", nil, map[string]any{"patient": claims, "expiresInSeconds": 3600}, &tok); err != nil {
		return err
	}
	if _, err := c.call(ctx, http.MethodGet, "/v1/me", tok.AccessToken, nil, nil, nil); err != nil {
		return err
	}
	var report struct {
		Received int `json:"received"`
	}
	before, err := allocated(ctx, c)
	if err != nil {
		return err
	}
	fhir := http.Header{"Content-Type": {"application/fhir+json"}}
	began := time.Now()
	if _, err := c.call(ctx, http.MethodPost, "/v1/me/record/uploads", tok.AccessToken, fhir, data, &report); err != nil {
		return err
	}
	took := time.Since(began)
	after, err := allocated(ctx, c)
	if err != nil {
		return err
	}
	r.Bundles, r.Resources, r.Took, r.Allocated = r.Bundles+1, r.Resources+report.Received, r.Took+took, r.Allocated+after-before
	return nil
}

// allocated reads kith's go_memstats_alloc_bytes_total from /metrics.
func allocated(ctx context.Context, c *client) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	s := bufio.NewScanner(res.Body)
	s.Buffer(make([]byte, 64<<10), 1<<20)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "go_memstats_alloc_bytes_total "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			return int64(f), err
		}
	}
	if err := s.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no go_memstats_alloc_bytes_total in %s/metrics", c.base)
}
