package fcm

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	firebase "firebase.google.com/go/v4"
	"firebase.google.com/go/v4/errorutils"
	"firebase.google.com/go/v4/messaging"
	"google.golang.org/api/option"

	"github.com/kith-health/kith/app"
)

// Client pushes through the FCM HTTP v1 API.
type Client struct {
	messages *messaging.Client
}

var _ app.Pusher = (*Client)(nil)

// New connects with a service account's credentials (JSON). endpoint, when set,
// replaces FCM's (an emulator, or a test's fake: "http://127.0.0.1:port/v1").
func New(ctx context.Context, credentials []byte, projectID, endpoint string) (*Client, error) {
	opts := []option.ClientOption{option.WithCredentialsJSON(credentials)}
	if endpoint != "" {
		opts = append(opts, option.WithEndpoint(endpoint))
	}
	var cfg *firebase.Config // nil: the project of the service account
	if projectID != "" {
		cfg = &firebase.Config{ProjectID: projectID}
	}
	fb, err := firebase.NewApp(ctx, cfg, opts...)
	if err != nil {
		return nil, fmt.Errorf("firebase: %w", err)
	}
	m, err := fb.Messaging(ctx)
	if err != nil {
		return nil, fmt.Errorf("firebase messaging: %w", err)
	}
	return &Client{messages: m}, nil
}

// Push implements app.Pusher. The SDK's error tests need its own error values, so
// err is classified before anything wraps it.
func (c *Client) Push(ctx context.Context, m app.Message) error {
	_, err := c.messages.Send(ctx, Build(m))
	switch {
	case err == nil:
		return nil
	case messaging.IsUnregistered(err), messaging.IsSenderIDMismatch(err):
		return app.ErrDeviceGone
	case messaging.IsInvalidArgument(err) && strings.Contains(err.Error(), "registration token"):
		// FCM's answer to a malformed token. Other invalid arguments would be Kith's
		// own fault (the payload), and must not cost the patient their device.
		return app.ErrDeviceGone
	case messaging.IsQuotaExceeded(err), messaging.IsUnavailable(err), messaging.IsInternal(err),
		errorutils.IsUnavailable(err), errorutils.IsInternal(err), errorutils.IsResourceExhausted(err):
		return &app.RetryLater{After: retryAfter(errorutils.HTTPResponse(err)), Err: err}
	}
	return fmt.Errorf("fcm: %w", err)
}

// retryAfter reads a Retry-After header in seconds, or as an HTTP date.
func retryAfter(res *http.Response) time.Duration {
	if res == nil {
		return 0
	}
	v := res.Header.Get("Retry-After")
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return time.Until(t)
	}
	return 0
}

func formatUnix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }
