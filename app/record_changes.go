package app

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/record"
)

// ChangePage is one round of the change feed.
type ChangePage struct {
	Changes []record.Entry // tombstones for deletions
	Next    string         // the token for next time
	More    bool           // another page is ready now
	Reset   bool           // start the local copy again from these changes
}

// RecordChanges is the change feed of the caller's own record since token ("" for
// everything). A token from before an erasure answers Reset. Only the patient syncs
// a copy of the record: the feed is theirs alone.
func (a *App) RecordChanges(ctx context.Context, caller identity.Principal, token string, limit int) (ChangePage, error) {
	epoch, after, err := parseChangeToken(token)
	if err != nil {
		return ChangePage{}, err
	}
	r, err := a.openRead(ctx, caller, RecordRef{}, "record.changes.read")
	if err != nil {
		return ChangePage{}, err
	}
	if !r.decision.Whole() {
		return ChangePage{}, fmt.Errorf("the change feed is the patient's own: %w", fault.ErrForbidden)
	}
	id := r.ownerID
	changes, current, err := a.store.ChangesForDisclosure(ctx, id, after, limit)
	if err != nil {
		return ChangePage{}, err
	}
	page := ChangePage{}
	if token != "" && epoch != current {
		page.Reset = true
		if changes, current, err = a.store.ChangesForDisclosure(ctx, id, 0, limit); err != nil {
			return ChangePage{}, err
		}
		after = 0
	}
	page.Changes = changes
	page.More = len(changes) == limit
	last := after
	if n := len(changes); n > 0 {
		last = changes[n-1].ChangeSeq
	}
	page.Next = changeToken(current, last)
	if err := a.disclose(ctx, r, audit.Event{Action: "record.changes.read"}); err != nil {
		return ChangePage{}, err
	}
	return page, nil
}

// Change tokens are opaque to clients: "v1.<epoch>.<seq>", base64url.
func changeToken(epoch, seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("v1.%d.%d", epoch, seq)))
}

func parseChangeToken(token string) (epoch, seq int64, err error) {
	if token == "" {
		return 0, 0, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	parts := strings.Split(string(raw), ".")
	if err != nil || len(parts) != 3 || parts[0] != "v1" {
		return 0, 0, fault.Invalid("since", "a token from a previous response")
	}
	epoch, err1 := strconv.ParseInt(parts[1], 10, 64)
	seq, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || seq < 0 {
		return 0, 0, fault.Invalid("since", "a token from a previous response")
	}
	return epoch, seq, nil
}
