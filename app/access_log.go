package app

import (
	"context"
	"strconv"
	"strings"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
)

// AccessLogItem is one access event as the patient reads it.
type AccessLogItem struct {
	audit.Event
	// Description says what happened in a sentence the app can show as it is.
	Description string
}

// guardianMaySee reports whether a guardian reading a child's access log sees an
// event: not what other guardians did (they see that others exist, not what they
// did), not safeguarding restrictions, not what the young person screened, and not
// refused attempts by guardians.
func guardianMaySee(e audit.Event, guardianID string) bool {
	switch {
	case e.Actor.Kind == audit.ActorGuardian && e.Actor.ID != guardianID:
		return false
	case e.Actor.Kind == audit.ActorGuardian && e.Outcome == audit.OutcomeDenied:
		return false
	case strings.HasPrefix(e.Action, "guardianship.") && e.Action != "guardianship.established":
		return false
	}
	return true
}

// AccessLog is "who has seen my record": the caller's access events, newest first,
// at most limit, from cursor ("" for the newest). It returns the cursor of the next
// page, "" at the end.
func (a *App) AccessLog(ctx context.Context, caller identity.Principal, cursor string, limit int) ([]AccessLogItem, string, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return nil, "", err
	}
	owner := m.ownerID
	var before int64
	if cursor != "" {
		if before, err = strconv.ParseInt(cursor, 10, 64); err != nil || before < 1 {
			return nil, "", fault.Invalid("cursor", "from a previous page")
		}
	}
	events, next, err := a.store.AccessEvents(ctx, owner, before, limit)
	if err != nil {
		return nil, "", err
	}
	items := make([]AccessLogItem, 0, len(events))
	for _, e := range events {
		if m.guardian() && !guardianMaySee(e, m.actorID()) {
			continue
		}
		items = append(items, AccessLogItem{Event: e, Description: describeFor(e, m.actorID())})
	}
	nextCursor := ""
	if next > 0 {
		nextCursor = strconv.FormatInt(next, 10)
	}
	return items, nextCursor, nil
}
