package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Message is one push to one device, as Kith means it; the push adapter turns it
// into the provider's format (FCM's Android and APNs settings included).
type Message struct {
	Token       string
	Title, Body string
	// Data carries opaque ids only (see mobile-contract/push-payload.schema.json):
	// the app fetches everything else through the API.
	Data        map[string]string
	CollapseKey string
	Urgent      bool
}

// Pusher sends pushes: Firebase Cloud Messaging in production, an inbox in
// development.
type Pusher interface {
	// Push sends msg. ErrDeviceGone when the token is no longer valid (the device
	// is removed); a *RetryLater for a passing failure (429, 5xx); any other error
	// is treated as passing too.
	Push(ctx context.Context, msg Message) error
}

// ErrDeviceGone says a device token is unregistered or invalid: the app was
// removed, or the token replaced.
var ErrDeviceGone = errors.New("device token no longer valid")

// RetryLater is a passing failure; After is the provider's Retry-After, or zero.
type RetryLater struct {
	After time.Duration
	Err   error
}

func (r *RetryLater) Error() string {
	return fmt.Sprintf("push failed for now (retry after %s): %v", r.After, r.Err)
}
func (r *RetryLater) Unwrap() error { return r.Err }

// PushRecord is a push as it would have gone out (the provider's message, as
// JSON), for the development inbox that stands in for the provider.
type PushRecord struct {
	At      time.Time
	Message json.RawMessage
}
