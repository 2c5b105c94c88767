package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kith-health/kith/adapters/mongo"
	"github.com/kith-health/kith/adapters/mongo/mongotest"
	"github.com/kith-health/kith/adapters/synthetic"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// failingStore is a store whose entry writes start failing after a budget: before
// the write (a crash, a lost connection) or after it (stored, but the caller never
// heard), as a process killed at any point would leave it.
type failingStore struct {
	app.Store
	budget     atomic.Int64 // writes left before failing; negative: never fail
	afterWrite bool
}

var errInjected = fmt.Errorf("injected store failure: %w", fault.ErrUnavailable)

func (s *failingStore) PutEntry(ctx context.Context, e record.Entry, expect int64) (record.Entry, error) {
	if s.budget.Load() < 0 {
		return s.Store.PutEntry(ctx, e, expect)
	}
	if s.budget.Add(-1) >= 0 {
		return s.Store.PutEntry(ctx, e, expect)
	}
	if s.afterWrite {
		s.Store.PutEntry(ctx, e, expect)
	}
	return record.Entry{}, errInjected
}

// PutEntries fails where one of its writes would: a batch cut anywhere, part
// written, as a store without transactions (MongoDB) can be left.
func (s *failingStore) PutEntries(ctx context.Context, puts []app.EntryPut) (int, error) {
	for i, p := range puts {
		if _, err := s.PutEntry(ctx, p.Entry, p.Expect); err != nil {
			return i, err
		}
	}
	return len(puts), nil
}

// deliveries is a random sequence of deliveries of one synthetic record: random
// parts of it, some resources delivered again changed (a problem resolved, an
// allergy refuted), as an exchange's incremental pulls would bring them.
func deliveries(t *testing.T, rng *rand.Rand, person synthetic.Person, now time.Time) [][]byte {
	t.Helper()
	data, err := synthetic.Record(person, synthetic.Options{Seed: rng.Int64(), Now: now})
	if err != nil {
		t.Fatal(err)
	}
	var b struct {
		Entry []map[string]any `json:"entry"`
	}
	if err := json.Unmarshal(data, &b); err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for range 2 + rng.IntN(3) {
		var part []map[string]any
		for _, e := range b.Entry {
			if rng.IntN(3) > 0 {
				part = append(part, changed(rng, e))
			}
		}
		raw, err := json.Marshal(map[string]any{"resourceType": "Bundle", "type": "collection", "entry": part})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// changed is the bundle entry e, or, now and then, a later version of it whose
// status moved on.
func changed(rng *rand.Rand, e map[string]any) map[string]any {
	res, _ := e["resource"].(map[string]any)
	if res == nil || rng.IntN(4) > 0 || res["resourceType"] == "Patient" {
		return e
	}
	copied := map[string]any{}
	for k, v := range res {
		copied[k] = v
	}
	copied["meta"] = map[string]any{"lastUpdated": fmt.Sprintf("2031-01-%02dT00:00:00Z", 1+rng.IntN(28))}
	switch res["resourceType"] {
	case "Condition":
		copied["clinicalStatus"] = map[string]any{"coding": []any{map[string]any{"code": "resolved"}}}
	case "AllergyIntolerance":
		copied["verificationStatus"] = map[string]any{"coding": []any{map[string]any{"code": "refuted"}}}
	case "MedicationRequest":
		copied["status"] = "stopped"
	default:
		copied["status"] = "entered-in-error"
	}
	return map[string]any{"fullUrl": e["fullUrl"], "resource": copied}
}

type storeOpener func(t *testing.T) app.Store

// bothStores opens fresh stores of each kind: SQLite, and MongoDB over the wire
// (in-process FerretDB, or KITH_TEST_MONGODB_URI).
func bothStores(t *testing.T) map[string]storeOpener {
	uri, _ := mongotest.URI(t)
	return map[string]storeOpener{
		"sqlite": func(t *testing.T) app.Store { return newStore(t) },
		"mongodb": func(t *testing.T) app.Store {
			s, err := mongo.Open(context.Background(), uri, mongotest.Database(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close(context.Background()) })
			if _, err := s.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
}

// Property: interrupt random deliveries at random points, before or after a
// write, then deliver each again; the summary always equals the one recomputed
// from the stored entries in one pass, and the one a record that was never
// interrupted has.
func TestInterruptedDeliveriesLeaveTheSummaryRight(t *testing.T) {
	now := time.Date(2032, 3, 4, 5, 6, 7, 0, time.UTC)
	clock := func() time.Time { return now }
	person := synthetic.Person{NHSNumber: "9990000042", GivenName: "Ada", FamilyName: "Prop", BirthDate: "1970-05-06", Gender: "female"}
	claims := patient.Claims{Issuer: "https://idp.test", Subject: "interrupted", NHSNumber: "9990000042",
		BirthDate: "1970-05-06", Proofing: patient.ProofingP9}
	caller := identity.Principal{Kind: identity.KindPatient, Patient: claims}
	// FerretDB is slow to write, so MongoDB runs fewer rounds.
	rounds := map[string]int{"sqlite": 8, "mongodb": 1}
	for name, open := range bothStores(t) {
		t.Run(name, func(t *testing.T) {
			cutShort := 0
			for round := range rounds[name] {
				rng := rand.New(rand.NewPCG(uint64(round), 11))
				ctx := context.Background()
				flaky := &failingStore{Store: open(t), afterWrite: rng.IntN(2) == 0}
				flaky.budget.Store(-1)
				interrupted, err := app.New(flaky, clock)
				if err != nil {
					t.Fatal(err)
				}
				reference, err := app.New(open(t), clock)
				if err != nil {
					t.Fatal(err)
				}
				p, err := interrupted.Me(ctx, caller)
				if err != nil {
					t.Fatal(err)
				}
				q, err := reference.Me(ctx, caller)
				if err != nil {
					t.Fatal(err)
				}
				for i, data := range deliveries(t, rng, person, now) {
					d := app.Delivery{Source: "gncr", Data: data}
					// Most deliveries write fewer entries than they hold (some are
					// unchanged): cut within the first half so most are cut short.
					cut := rng.IntN(bytes.Count(data, []byte(`"fullUrl"`))/2 + 1)
					flaky.budget.Store(int64(cut))
					switch _, err := interrupted.Ingest(ctx, p, d); {
					case errors.Is(err, errInjected):
						cutShort++
					case err != nil:
						t.Fatalf("round %d delivery %d: %v", round, i, err)
					}
					flaky.budget.Store(-1)
					if _, err := interrupted.Ingest(ctx, p, d); err != nil {
						t.Fatalf("round %d delivery %d again: %v", round, i, err)
					}
					if _, err := reference.Ingest(ctx, q, d); err != nil {
						t.Fatal(err)
					}

					got, err := interrupted.RecordSummary(ctx, caller, app.RecordRef{})
					if err != nil {
						t.Fatal(err)
					}
					entries := storedEntries(t, flaky, p.ID)
					self := access.Decision{Allowed: true, Basis: access.BasisSelf, Scope: access.Scope{}}
					for _, c := range record.Categories {
						self.Scope[c] = true
					}
					recomputed := record.SummaryOf(p.ID, entries, self.Permits)
					if a, b := comparable(got), comparable(recomputed); !reflect.DeepEqual(a, b) {
						t.Fatalf("round %d delivery %d (cut after %d writes): the summary is not what the entries say\n got %+v\nwant %+v",
							round, i, cut, a, b)
					}
					want, err := reference.RecordSummary(ctx, caller, app.RecordRef{})
					if err != nil {
						t.Fatal(err)
					}
					if a, b := comparable(got), comparable(want); !reflect.DeepEqual(a, b) {
						t.Fatalf("round %d delivery %d (cut after %d writes): the summary differs from an uninterrupted record's\n got %+v\nwant %+v",
							round, i, cut, a, b)
					}
				}
			}
			if cutShort == 0 {
				t.Fatal("no delivery was cut short: the property was not tested")
			}
			t.Logf("%d deliveries cut short, delivered again, and summarised right", cutShort)
		})
	}
}

// summaryView is what a reader of a summary sees, without the store's
// bookkeeping (revisions, change numbers), which retries may move on.
type summaryView struct {
	Counts   map[record.Category]int
	Sections []string
	Latest   map[record.Category][]string
	LastSync map[string]time.Time
}

func comparable(s record.Summary) summaryView {
	v := summaryView{Counts: s.Counts, Latest: map[record.Category][]string{}, LastSync: s.LastSync}
	line := func(e record.Entry) string {
		return fmt.Sprintf("%s %s %q %s %s %+v", e.ID, e.ResourceType, e.Display.Text, e.Display.Status,
			e.Display.Date.Format(time.RFC3339), e.Clinical)
	}
	for _, sec := range s.Sections {
		v.Sections = append(v.Sections, fmt.Sprintf("%s shared=%v current=%d past=%d", sec.Section, sec.Shared, sec.Current, sec.Past))
		for _, e := range sec.Items {
			v.Sections = append(v.Sections, "  "+line(e))
		}
	}
	for c, es := range s.Latest {
		for _, e := range es {
			v.Latest[c] = append(v.Latest[c], line(e))
		}
	}
	return v
}
