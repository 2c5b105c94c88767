package app

import (
	"context"
	"strconv"

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

// AccessLog is "who has seen my record": the caller's access events, newest first,
// at most limit, from cursor ("" for the newest). It returns the cursor of the next
// page, "" at the end.
func (a *App) AccessLog(ctx context.Context, caller identity.Principal, cursor string, limit int) ([]AccessLogItem, string, error) {
	owner, err := ownRecordToManage(caller, a.now())
	if err != nil {
		return nil, "", err
	}
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
	items := make([]AccessLogItem, len(events))
	for i, e := range events {
		items[i] = AccessLogItem{Event: e, Description: DescribeEvent(e)}
	}
	nextCursor := ""
	if next > 0 {
		nextCursor = strconv.FormatInt(next, 10)
	}
	return items, nextCursor, nil
}
