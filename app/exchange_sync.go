package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
)

// RunExchangeSync pulls due links until ctx ends, as claimant (a name unique to
// this process). Several nodes may run it: leases in the store keep them apart, and
// a node that dies mid-pull leaves its links to another once their leases run out.
func (a *App) RunExchangeSync(ctx context.Context, claimant string, log *slog.Logger) {
	if a.exchanges == nil {
		return
	}
	for {
		n, err := a.SyncDue(ctx, claimant)
		if err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "exchange sync round failed; retrying", "error", err)
		}
		if n == a.pulls.Workers && err == nil {
			continue // more may be waiting
		}
		// Fewer pulled than claimed (exchanges at their ceiling) or none due: wait.
		select {
		case <-ctx.Done():
			return
		case <-a.syncWake:
		case <-time.After(a.pulls.Poll):
		}
	}
}

// SyncDue runs one round: it claims up to Workers due links and pulls them at once,
// recording each outcome on its link. It returns how many it pulled: a link whose
// exchange is at its concurrency ceiling goes back, still due, uncounted, so a
// scheduler waits rather than spins on it.
func (a *App) SyncDue(ctx context.Context, claimant string) (int, error) {
	if a.exchanges == nil {
		return 0, nil
	}
	now := a.now()
	links, err := a.store.ClaimLinks(ctx, claimant, now, now.Add(a.pulls.Lease), a.pulls.Workers, nil)
	if err != nil || len(links) == 0 {
		return 0, err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(links))
	pulled := make([]bool, len(links))
	for i, l := range links {
		wg.Go(func() { pulled[i], errs[i] = a.pullClaimed(ctx, claimant, l) })
	}
	wg.Wait()
	n := 0
	for _, p := range pulled {
		if p {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// pullClaimed runs one claimed link's pull within its exchange's concurrency
// ceiling and records how it ended. Its error is Kith's own (the store), never the
// exchange's: those go on the link for the patient to see.
func (a *App) pullClaimed(ctx context.Context, claimant string, l exchange.Link) (pulled bool, err error) {
	x, err := a.store.Exchange(ctx, l.ExchangeID)
	if err != nil && !isNotFound(err) {
		return false, a.letGo(ctx, claimant, l, err)
	}
	if err != nil || x.Status != exchange.Active {
		return false, a.finish(ctx, claimant, l, func(l *exchange.Link) {
			l.Status, l.NextDueAt = exchange.Paused, a.now().Add(a.pulls.Schedule.Interval)
		})
	}
	holder := claimant + "|" + l.ID
	slot, err := a.takeSlot(ctx, x, holder)
	if err != nil {
		return false, a.letGo(ctx, claimant, l, err)
	}
	if slot == "" {
		return false, a.letGo(ctx, claimant, l, nil) // the exchange is as busy as it may be: later
	}
	defer a.store.ReleaseLease(context.WithoutCancel(ctx), slot, holder)
	p, err := a.store.Patient(ctx, l.PatientID)
	if err != nil {
		return false, a.letGo(ctx, claimant, l, err)
	}
	run := &pull{a: a, holder: claimant, slot: slot, slotHeld: holder, x: x, link: l, patient: p}
	err = run.run(ctx)
	switch {
	case err == nil:
		if err := a.finish(ctx, claimant, run.link, func(l *exchange.Link) {
			l.Succeed(a.pulls.Schedule, run.pulled, a.now(), a.pulls.Spread())
		}); err != nil {
			return true, err
		}
		a.pulls.Log.DebugContext(ctx, "exchange pull done", "exchange", x.ID, "link", l.ID, "resources", run.pulled)
		// The first pull brings the whole history: only later ones bring news.
		if run.results > 0 && run.link.AlertNewResults && !l.LastSuccessAt.IsZero() {
			a.alertNewResults(ctx, p, x, run.link)
		}
		return true, nil
	case errors.Is(err, errLostLease):
		return true, nil
	case ctx.Err() != nil:
		// Shutting down: hand the link back now, rather than when its lease ends.
		return true, a.letGo(context.WithoutCancel(ctx), claimant, run.link, nil)
	}
	reason, message, retryAt := explainPullFailure(err)
	// Ids and the reason only: the error may name the patient's record.
	a.pulls.Log.WarnContext(ctx, "exchange pull failed", "exchange", x.ID, "link", l.ID, "reason", reason,
		"resources", run.pulled)
	return true, a.finish(ctx, claimant, run.link, func(l *exchange.Link) {
		l.Fail(a.pulls.Schedule, reason, message, retryAt, a.now(), a.pulls.Spread())
	})
}

// takeSlot takes one of the exchange's concurrency slots, "" when every one is held:
// the ceiling holds across nodes because each slot is a lease in the store.
func (a *App) takeSlot(ctx context.Context, x exchange.Exchange, holder string) (string, error) {
	now := a.now()
	for i := range x.Concurrency {
		name := fmt.Sprintf("exchange/%s/slot/%d", x.ID, i)
		err := a.store.AcquireLease(ctx, name, holder, now, now.Add(a.pulls.Lease))
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fault.ErrConflict) {
			return "", err
		}
	}
	return "", nil
}

// finish records a pull's end and frees the link, if this node still holds it.
func (a *App) finish(ctx context.Context, claimant string, l exchange.Link, end func(*exchange.Link)) error {
	now := a.now()
	_, err := a.store.UpdateLink(ctx, l.PatientID, l.ID, func(l *exchange.Link) error {
		if !l.Held(claimant, now) {
			return errLostLease
		}
		end(l)
		l.LeaseHolder, l.LeaseUntil, l.UpdatedAt = "", time.Time{}, now.UTC()
		return nil
	})
	if errors.Is(err, errLostLease) || isNotFound(err) {
		return nil
	}
	return err
}

// letGo frees a claimed link without a pull, still due, and passes cause on.
func (a *App) letGo(ctx context.Context, claimant string, l exchange.Link, cause error) error {
	err := a.finish(ctx, claimant, l, func(l *exchange.Link) {
		if l.Status == exchange.Syncing {
			l.Status = exchange.Pending
			if !l.LastSuccessAt.IsZero() {
				l.Status = exchange.UpToDate
			}
		}
	})
	return errors.Join(cause, err)
}

// explainPullFailure puts a failed pull in words the patient's app can show.
func explainPullFailure(err error) (reason, message string, retryAt time.Time) {
	var f *ExchangeFault
	if errors.As(err, &f) {
		return f.Reason, f.Message, f.RetryAt
	}
	var v *fault.ValidationError
	if errors.As(err, &v) && v.Problem == exchange.ReasonIdentity && aboutSomeoneElse(v) {
		return exchange.ReasonIdentity, "The exchange sent another person's record among yours, so Kith kept none of that page and pulled nothing more. Contact the exchange.", time.Time{}
	}
	if errors.As(err, &v) && v.Problem == exchange.ReasonIdentity {
		return exchange.ReasonIdentity, "The exchange's record under your NHS number has a different date of birth or NHS number from your account, so Kith pulled nothing more. Contact the exchange to correct it.", time.Time{}
	}
	if errors.Is(err, fault.ErrInvalid) {
		return exchange.ReasonMalformed, "The exchange sent something Kith cannot store as FHIR, so that part was not kept.", time.Time{}
	}
	return ReasonKithUnavailable, "Kith could not save what it pulled; it will try again.", time.Time{}
}

// aboutSomeoneElse says a mismatch is a resource about another Patient, not
// the exchange's Patient differing from the account.
func aboutSomeoneElse(v *fault.ValidationError) bool {
	for _, f := range v.Fields {
		if strings.HasSuffix(f.Field, ".subject") || strings.HasSuffix(f.Field, ".patient") || strings.HasSuffix(f.Field, ".beneficiary") {
			return true
		}
	}
	return false
}

// ReasonKithUnavailable: Kith's own store failed during a pull.
const ReasonKithUnavailable = "kith-unavailable"
