package app

import (
	"context"

	"github.com/kith-health/kith/domain/audit"
)

// ChainCheck is the outcome of checking one patient's access log.
type ChainCheck struct {
	PatientID string
	Events    int
	// Break is the first place the chain does not hold; nil when it holds.
	Break *audit.Break
}

// verifyPage is how many events a check reads at a time.
const verifyPage = 500

// VerifyAudit checks the hash chain of one patient's access log, or of every
// patient's when patientID is "", calling report for each as it finishes so a long
// run shows progress. Memory stays flat for any log length.
func (a *App) VerifyAudit(ctx context.Context, patientID string, report func(ChainCheck) error) error {
	return a.eachPatient(ctx, patientID, func(id string) error {
		c, err := a.verifyChain(ctx, id)
		if err != nil {
			return err
		}
		return report(c)
	})
}

// eachPatient calls fn for one patient (patientID), or for every account in id
// order when patientID is "", reading ids a page at a time: operators' jobs that
// walk the whole store. fn's error stops the walk.
func (a *App) eachPatient(ctx context.Context, patientID string, fn func(id string) error) error {
	if patientID != "" {
		return fn(patientID)
	}
	after := ""
	for {
		ids, err := a.store.PatientIDs(ctx, after, verifyPage)
		if err != nil || len(ids) == 0 {
			return err
		}
		for _, id := range ids {
			if err := fn(id); err != nil {
				return err
			}
		}
		after = ids[len(ids)-1]
	}
}

func (a *App) verifyChain(ctx context.Context, patientID string) (ChainCheck, error) {
	c := ChainCheck{PatientID: patientID}
	var walk audit.ChainWalk
	var before int64
	for {
		events, next, err := a.store.AccessEvents(ctx, patientID, before, verifyPage)
		if err != nil {
			return ChainCheck{}, err
		}
		for _, e := range events {
			walk.Older(e)
		}
		c.Events += len(events)
		if next == 0 {
			break
		}
		before = next
	}
	c.Break = walk.End()
	return c, nil
}
