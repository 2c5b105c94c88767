package fcm

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/kith-health/kith/app"
)

// inboxSize is how many pushes the development inbox keeps.
const inboxSize = 200

// Inbox stands in for FCM in development: it keeps the messages that would have
// been sent, exactly as Build makes them, for GET /dev/push-inbox.
type Inbox struct {
	mu    sync.Mutex
	items []app.PushRecord
	now   func() time.Time
}

var _ app.Pusher = (*Inbox)(nil)

// NewInbox makes an empty inbox.
func NewInbox() *Inbox { return &Inbox{now: time.Now} }

// Push implements app.Pusher.
func (i *Inbox) Push(_ context.Context, m app.Message) error {
	raw, err := json.Marshal(Build(m))
	if err != nil {
		return err
	}
	i.mu.Lock()
	defer i.mu.Unlock()
	i.items = append(i.items, app.PushRecord{At: i.now().UTC(), Message: raw})
	if len(i.items) > inboxSize {
		i.items = i.items[len(i.items)-inboxSize:]
	}
	return nil
}

// Recent lists what would have been sent, newest first, for GET /dev/push-inbox.
func (i *Inbox) Recent() []app.PushRecord {
	i.mu.Lock()
	defer i.mu.Unlock()
	out := make([]app.PushRecord, len(i.items))
	for n, it := range i.items {
		out[len(i.items)-1-n] = it
	}
	return out
}
