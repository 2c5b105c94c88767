package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/domain/patient"
)

// seedPatient is one patient as the scenarios need them.
type seedPatient struct {
	NHSNumber string
	Token     string // the patient's own development token
	Scale     int    // synthetic.Options.Scale of their record
	Resources int    // resources uploaded
	// Set for the shared subset only.
	ViewerToken string // a share-code viewer session
	FeedSince   string // the change feed's next token once the app has caught up
}

// seeded is the world the scenarios run in.
type seeded struct {
	Patients []seedPatient
	Shared   int    // Patients[:Shared] have a grant, a viewer session, a device and a feed token
	OrgToken string // the demo organisation's (Leeds, RR8), which every shared patient granted
	// Ingest: resources uploaded and the wall time of the whole seeding phase
	// (tokens, accounts, generation and uploads), so resources/s is end to end.
	Resources  int
	IngestTime time.Duration
}

// demoOrg is the demo organisation every shared patient grants (see /dev/principals).
const (
	demoOrg      = "RR8"
	demoOrgLogin = "leeds-registrar"
)

// allCategories are granted and shared, so the others' summaries hold what the
// patient's own does and the scenarios compare like with like.
var allCategories = []string{"demographics", "allergies", "medications", "conditions", "immunizations", "results",
	"vitals", "encounters", "procedures", "documents", "care-plans", "administrative"}

// seed makes n patients over HTTP, as the app would: a token, the account's first
// call, an upload of their record; then, for the first shared of them, a grant, a
// share code redeemed into a viewer session, a device and a caught-up change feed.
func seed(ctx context.Context, c *client, n, shared, workers int, progress io.Writer) (*seeded, error) {
	nhs := nhsNumbers(n)
	w := &seeded{Patients: make([]seedPatient, n), Shared: min(shared, n)}
	began := time.Now()
	var done, resources atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range n {
		g.Go(func() error {
			p, err := seedOne(gctx, c, i, nhs[i])
			if err != nil {
				return fmt.Errorf("patient %d: %w", i, err)
			}
			w.Patients[i] = p
			resources.Add(int64(p.Resources))
			if d := done.Add(1); d%max(int64(n/10), 1) == 0 {
				fmt.Fprintf(progress, "seeded %d/%d patients, %d resources, %s\n", d, n, resources.Load(), time.Since(began).Round(time.Second))
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	w.Resources, w.IngestTime = int(resources.Load()), time.Since(began)

	var org tokenResponse
	if _, err := c.call(ctx, http.MethodPost, "/dev/tokens", "", nil, map[string]any{"as": demoOrgLogin}, &org); err != nil {
		return nil, err
	}
	w.OrgToken = org.AccessToken

	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for i := range w.Shared {
		g.Go(func() error {
			if err := share(gctx, c, i, &w.Patients[i]); err != nil {
				return fmt.Errorf("sharing patient %d: %w", i, err)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return w, nil
}

type tokenResponse struct {
	AccessToken string `json:"access_token"`
}

var (
	givenNames  = []string{"Amara", "Ben", "Chloe", "Dev", "Eilidh", "Farah", "George", "Hana", "Isaac", "Jas"}
	familyNames = []string{"Ahmed", "Brown", "Clarke", "Davies", "Evans", "Khan", "Morgan", "Patel", "Roberts", "Wilson"}
)

func seedOne(ctx context.Context, c *client, i int, nhs string) (seedPatient, error) {
	person := synthetic.Person{
		NHSNumber:  nhs,
		GivenName:  givenNames[i%len(givenNames)],
		FamilyName: familyNames[(i/len(givenNames))%len(familyNames)],
		// Adults only (born 1940 to 2003), so no guardianship rules come into it.
		BirthDate: time.Date(1940, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, (i*7919)%23000).Format(time.DateOnly),
		Gender:    []string{"female", "male"}[i%2],
	}
	p := seedPatient{NHSNumber: nhs, Scale: scaleFor(i)}

	// The token's claims are the record's Patient, or the upload is refused as
	// someone else's.
	var tok tokenResponse
	body := map[string]any{
		"patient": map[string]any{
			"subject": fmt.Sprintf("kith-bench-%06d", i), "nhsNumber": nhs, "dateOfBirth": person.BirthDate,
			"givenName": person.GivenName, "familyName": person.FamilyName, "identityLevel": "P9",
		},
		"expiresInSeconds": 86400, // the longest allowed, so tokens outlive any run
	}
	if _, err := c.call(ctx, http.MethodPost, "/dev/tokens", "", nil, body, &tok); err != nil {
		return p, err
	}
	p.Token = tok.AccessToken
	if _, err := c.call(ctx, http.MethodGet, "/v1/me", p.Token, nil, nil, nil); err != nil {
		return p, err
	}

	record, err := synthetic.Record(person, synthetic.Options{Seed: int64(i), Now: time.Now(), Scale: p.Scale})
	if err != nil {
		return p, err
	}
	var report struct {
		Received int `json:"received"`
	}
	fhir := http.Header{"Content-Type": {"application/fhir+json"}}
	if _, err := c.call(ctx, http.MethodPost, "/v1/me/record/uploads", p.Token, fhir, record, &report); err != nil {
		return p, err
	}
	p.Resources = report.Received
	return p, nil
}

// scaleFor gives most patients a believable record and a few a long one, the way a
// population has a few people with decades of chronic care: 80% scale 1 (about 120
// resources), 12% scale 2, 5% scale 5, 2% scale 10 and 1% scale 40 (about 4,500,
// some 6 MB: below KITH_BODY_LIMIT_BYTES' 8 MiB). Patient 0, the hot patient, is
// typical.
func scaleFor(i int) int {
	if i == 0 {
		return 1
	}
	switch r := rand.New(rand.NewPCG(uint64(i), 0x6b697468)).IntN(100); {
	case r < 80:
		return 1
	case r < 92:
		return 2
	case r < 97:
		return 5
	case r < 99:
		return 10
	default:
		return 40
	}
}

// share sets up what others' scenarios need of patient i.
func share(ctx context.Context, c *client, i int, p *seedPatient) error {
	grant := map[string]any{"organisation": demoOrg, "categories": allCategories}
	key := http.Header{"Idempotency-Key": {fmt.Sprintf("kith-bench-grant-%06d", i)}}
	if _, err := c.call(ctx, http.MethodPost, "/v1/me/grants", p.Token, key, grant, nil); err != nil {
		return err
	}

	var code struct {
		Code string `json:"code"`
	}
	issue := map[string]any{"categories": allCategories, "label": "kith-bench", "maxViews": 0, "expiresInMinutes": 1440}
	if _, err := c.call(ctx, http.MethodPost, "/v1/me/share-codes", p.Token, nil, issue, &code); err != nil {
		return err
	}
	var viewer tokenResponse
	redeem := map[string]any{"code": code.Code, "viewerName": fmt.Sprintf("Dr Bench %d", i), "viewerRole": "A&E registrar"}
	if _, err := c.call(ctx, http.MethodPost, "/v1/share/redeem", "", nil, redeem, &viewer); err != nil {
		return err
	}
	p.ViewerToken = viewer.AccessToken

	device := map[string]any{"token": fmt.Sprintf("kith-bench-fcm-%06d", i), "platform": "android", "appVersion": "1.0.0", "locale": "en-GB"}
	if _, err := c.call(ctx, http.MethodPost, "/v1/me/devices", p.Token, nil, device, nil); err != nil {
		return err
	}

	// The app syncs the whole feed once, then polls with the last next token: that
	// poll is what mixed traffic sends.
	since := ""
	for {
		var page struct {
			Next string `json:"next"`
			More bool   `json:"more"`
		}
		path := "/v1/me/record/changes?limit=500"
		if since != "" {
			path += "&since=" + since
		}
		if _, err := c.call(ctx, http.MethodGet, path, p.Token, nil, nil, &page); err != nil {
			return err
		}
		since = page.Next
		if !page.More {
			break
		}
	}
	p.FeedSince = since
	return nil
}

// nhsNumbers are n valid NHS numbers in the 999 test range, which the NHS never
// issues, from 999100000x up: clear of the demo cast's 999000xxxx. Each is the
// first ten-digit number on its nine-digit base that patient.ParseNHSNumber
// accepts; a base whose check digit would be 10 has none and is skipped.
func nhsNumbers(n int) []string {
	out := make([]string, 0, n)
	for base := 999100000; len(out) < n; base++ {
		for check := range 10 {
			s := fmt.Sprintf("%09d%d", base, check)
			if _, err := patient.ParseNHSNumber(s); err == nil {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
