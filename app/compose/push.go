package compose

import (
	"context"
	"fmt"
	"os"

	"github.com/kith-health/kith/adapters/fcm"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/app/config"
)

// pusher is where alerts go: the development inbox, or FCM with the configured
// service account. Without either (development with the inbox off and no
// account) alerts wait, pending, until a dispatcher that can push comes.
func pusher(ctx context.Context, cfg config.Config) (app.Pusher, *fcm.Inbox, error) {
	if cfg.DevPushInboxOn() {
		inbox := fcm.NewInbox()
		return inbox, inbox, nil
	}
	if cfg.FCMCredentialsFile == "" {
		return nil, nil, nil
	}
	creds, err := os.ReadFile(cfg.FCMCredentialsFile)
	if err != nil {
		return nil, nil, fmt.Errorf("KITH_FCM_CREDENTIALS_FILE: %w", err)
	}
	c, err := fcm.New(ctx, creds, cfg.FCMProjectID, cfg.FCMEndpoint)
	if err != nil {
		return nil, nil, fmt.Errorf("KITH_FCM_CREDENTIALS_FILE: %w", err)
	}
	return c, nil, nil
}

// claimantName tells this process's alert claims from other nodes'.
func claimantName() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), app.NewID()[:8])
}
