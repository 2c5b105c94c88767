package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// errLostLease stops a pull whose link another node took over (this one was too
// slow to renew its lease) or the patient unlinked: the link is no longer ours to write.
var errLostLease = errors.New("link no longer held by this pull")

// pull is one run of one link: match the patient, then each resource type's pages
// in turn, each page stored before the cursor moves past it.
type pull struct {
	a        *App
	holder   string // claimant, as the link's lease holder
	slot     string // the exchange concurrency slot this pull holds
	slotHeld string // as whom: one node runs several pulls
	x        exchange.Exchange
	link     exchange.Link
	patient  patient.Patient
	pulled   int
	results  int // new entries in the results section
	bySource map[string]map[string]string
}

// run pulls everything due, stopping at the first failure with the cursors where
// the last stored page left them.
func (p *pull) run(ctx context.Context) error {
	if err := p.save(ctx, func(l *exchange.Link) {
		l.Status, l.LastAttemptAt = exchange.Syncing, p.a.now().UTC().Truncate(time.Millisecond)
	}); err != nil {
		return err
	}
	id, err := p.a.exchanges.MatchPatient(ctx, p.x, p.patient.NHSNumber.Value())
	if err != nil {
		return err
	}
	if id != p.link.SourcePatient {
		// A new match (or the exchange merged records): nothing the old cursors
		// say holds for this Patient.
		if err := p.save(ctx, func(l *exchange.Link) { l.SourcePatient, l.Cursors = id, nil }); err != nil {
			return err
		}
	}
	for _, t := range pullOrder(p.x) {
		if err := p.pullType(ctx, t); err != nil {
			return fmt.Errorf("%s: %w", t.ResourceType, err)
		}
	}
	return nil
}

// pullOrder is the Patient first, so a record that is not the account holder's is
// refused before anything else of it is stored, then every type the exchange
// lets Kith search by patient.
func pullOrder(x exchange.Exchange) []exchange.TypeSupport {
	types := []exchange.TypeSupport{{ResourceType: "Patient"}}
	for _, t := range x.Types {
		if t.ResourceType != "Patient" && t.PatientParam != "" {
			types = append(types, t)
		}
	}
	return types
}

// pullType follows one type's search to its last page: changes since the cursor
// where the exchange supports _lastUpdated, else a sweep of the whole type, from
// which what the exchange no longer holds is withdrawn.
func (p *pull) pullType(ctx context.Context, t exchange.TypeSupport) error {
	c := p.link.Cursor(t.ResourceType)
	first := SearchQuery{ResourceType: t.ResourceType, PatientParam: t.PatientParam, Patient: p.link.SourcePatient,
		Count: p.x.Count(t)}
	if t.LastUpdated && !c.Since.IsZero() {
		first.Since = c.Since.Add(-p.a.pulls.Overlap)
	}
	if c.Next != "" && !strings.HasPrefix(c.Next, p.x.BaseURL+"/") && !strings.HasPrefix(c.Next, p.x.BaseURL+"?") {
		// The exchange moved (a new base URL): its old next links lead nowhere.
		c.Next = ""
	}
	q, resumed := first, c.Next != ""
	if resumed {
		q = SearchQuery{Next: c.Next}
	} else {
		c.SweepStartedAt = time.Time{}
	}
	if t.History && t.LastUpdated && !c.Since.IsZero() {
		// Searches since the cursor never show a deletion; the history does.
		// Read before the search moves the cursor on, so a stop in between
		// reads it again.
		if err := p.historyDeletions(ctx, t, c.Since.Add(-p.a.pulls.Overlap)); err != nil {
			return err
		}
	}
	// A sweep of everything the exchange holds of the type, seen from its first
	// page, tells what it no longer holds. One resumed after a stop saw only part.
	var seen map[string]bool
	if first.Since.IsZero() && !resumed && t.ResourceType != "Patient" {
		seen = map[string]bool{}
	}
	for {
		page, err := p.a.exchanges.Search(ctx, p.x, q)
		if err != nil && resumed && rejected(err) {
			// A next link the exchange no longer honours (they expire): sweep
			// the type again from its start; re-delivered pages change nothing.
			q, resumed, c.Next, c.SweepStartedAt = first, false, "", time.Time{}
			continue
		}
		if err != nil {
			return err
		}
		resumed = false
		if c.SweepStartedAt.IsZero() {
			c.SweepStartedAt = page.ServerTime.UTC().Truncate(time.Millisecond)
		}
		if page.Resources > 0 {
			report, err := p.a.Ingest(ctx, p.patient, Delivery{Source: p.x.ID, Data: page.Bundle, Base: p.x.BaseURL,
				SourcePatient: p.link.SourcePatient})
			if err != nil {
				return err
			}
			p.pulled += report.Received
			p.results += report.CreatedIn[record.SectionResults]
			for _, id := range report.SourceIDs {
				if seen != nil {
					seen[id] = true
				}
			}
		}
		if err := p.withdraw(ctx, t.ResourceType, page.Deleted); err != nil {
			return err
		}
		c.Next = page.Next
		if page.Next == "" {
			c.Since, c.SweepStartedAt = c.SweepStartedAt, time.Time{}
		}
		if err := p.save(ctx, func(l *exchange.Link) { l.SetCursor(c) }); err != nil {
			return err
		}
		if page.Next == "" {
			break
		}
		q = SearchQuery{Next: page.Next}
	}
	if seen == nil {
		return nil
	}
	known, err := p.sourceIDs(ctx, t.ResourceType)
	if err != nil {
		return err
	}
	var gone []string
	for id := range known {
		if !seen[id] {
			gone = append(gone, id)
		}
	}
	return p.withdraw(ctx, t.ResourceType, gone)
}

// historyDeletions withdraws what the type's history says the exchange deleted
// since the time given. Its other entries are versions the search brings anyway.
func (p *pull) historyDeletions(ctx context.Context, t exchange.TypeSupport, since time.Time) error {
	q := SearchQuery{ResourceType: t.ResourceType, PatientParam: t.PatientParam, Patient: p.link.SourcePatient,
		Count: p.x.Count(t), Since: since, History: true}
	for {
		page, err := p.a.exchanges.Search(ctx, p.x, q)
		if err != nil {
			return err
		}
		if err := p.withdraw(ctx, t.ResourceType, page.Deleted); err != nil {
			return err
		}
		if page.Next == "" {
			return nil
		}
		q = SearchQuery{Next: page.Next}
	}
}

// save applies change to the link if this pull still holds it, renewing its
// lease and its exchange slot: a pull that stores pages keeps its work.
func (p *pull) save(ctx context.Context, change func(*exchange.Link)) error {
	now := p.a.now()
	l, err := p.a.store.UpdateLink(ctx, p.link.PatientID, p.link.ID, func(l *exchange.Link) error {
		if !l.Held(p.holder, now) {
			return errLostLease
		}
		change(l)
		l.LeaseUntil, l.UpdatedAt = now.Add(p.a.pulls.Lease), now.UTC()
		return nil
	})
	if errors.Is(err, fault.ErrNotFound) {
		return errLostLease // unlinked meanwhile
	}
	if err != nil {
		return err
	}
	p.link = l
	return p.a.store.AcquireLease(ctx, p.slot, p.slotHeld, now, now.Add(p.a.pulls.Lease))
}

// withdraw marks what the exchange deleted ("Type/id") as withdrawn by it.
func (p *pull) withdraw(ctx context.Context, resourceType string, refs []string) error {
	if len(refs) == 0 {
		return nil
	}
	known, err := p.sourceIDs(ctx, resourceType)
	if err != nil {
		return err
	}
	for _, ref := range refs {
		id, ok := known[ref]
		if !ok {
			continue
		}
		if err := p.a.withdrawEntry(ctx, p.patient.ID, id, p.x.ID, ref); err != nil {
			return err
		}
	}
	return nil
}

// sourceIDs maps how this exchange names each entry of the type it delivered to
// the entry's id, read once per pull and type (heads only, no resources).
func (p *pull) sourceIDs(ctx context.Context, resourceType string) (map[string]string, error) {
	if m, ok := p.bySource[resourceType]; ok {
		return m, nil
	}
	m := map[string]string{}
	cursor := ""
	for {
		heads, next, err := p.a.store.EntryHeads(ctx, p.patient.ID, EntryQuery{ResourceType: resourceType, Cursor: cursor, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, e := range heads {
			for _, pv := range e.Provenances {
				if pv.Source == p.x.ID && !slices.Contains(e.Flags, record.WithdrawnBySource) {
					m[pv.SourceID] = e.ID
				}
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if p.bySource == nil {
		p.bySource = map[string]map[string]string{}
	}
	p.bySource[resourceType] = m
	return m, nil
}

// withdrawEntry applies one source's deletion to a stored entry, with
// compare-and-set like every other entry write.
func (a *App) withdrawEntry(ctx context.Context, patientID, entryID, source, sourceID string) error {
	for range maxRetries {
		e, err := a.store.EntryState(ctx, patientID, entryID)
		if isNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		out, changed := record.Withdraw(e, source, sourceID, a.now())
		if !changed {
			return nil
		}
		_, err = a.store.PutEntry(ctx, out, e.Revision)
		if !errors.Is(err, fault.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("entry kept changing under us: %w", fault.ErrUnavailable)
}

// rejected says the exchange refused a request outright (a 4xx).
func rejected(err error) bool {
	var f *ExchangeFault
	return errors.As(err, &f) && f.Reason == exchange.ReasonRejected
}
