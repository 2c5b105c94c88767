// Package fcm pushes alerts through Firebase Cloud Messaging with the Firebase
// Admin SDK, and in development records them in an inbox instead.
package fcm

import (
	"time"

	"firebase.google.com/go/v4/messaging"

	"github.com/kith-health/kith/app"
)

// ttl is how long FCM keeps trying an offline phone: after a day an alert about a
// view is stale, and the access log has it anyway.
const ttl = 24 * time.Hour

// Build is the FCM message for a Kith alert: a notification (shown even when the
// app is closed), the data ids the app opens, and per-platform settings. Android
// shows it privately on the lock screen; APNs gets an alert push type, a priority
// and a collapse id matching Android's collapse key, so one viewer's alerts replace
// each other rather than pile up.
func Build(m app.Message) *messaging.Message {
	life := ttl
	priority, apnsPriority := "normal", "5"
	if m.Urgent {
		priority, apnsPriority = "high", "10"
	}
	return &messaging.Message{
		Token:        m.Token,
		Notification: &messaging.Notification{Title: m.Title, Body: m.Body},
		Data:         m.Data,
		Android: &messaging.AndroidConfig{
			CollapseKey: m.CollapseKey,
			Priority:    priority,
			TTL:         &life,
			Notification: &messaging.AndroidNotification{
				Visibility: messaging.VisibilityPrivate,
				ChannelID:  "record-views",
				Tag:        m.CollapseKey,
			},
		},
		APNS: &messaging.APNSConfig{
			Headers: map[string]string{
				"apns-push-type":   "alert",
				"apns-priority":    apnsPriority,
				"apns-collapse-id": m.CollapseKey,
				"apns-expiration":  formatUnix(time.Now().Add(ttl)),
			},
			Payload: &messaging.APNSPayload{Aps: &messaging.Aps{
				Alert:    &messaging.ApsAlert{Title: m.Title, Body: m.Body},
				ThreadID: "record-views",
				Sound:    "default",
			}},
		},
	}
}
