package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"
)

// alertLatency is how long a patient waits to hear of an access: from the
// organisation's read starting to the push leaving Kith (its arrival in the
// development push inbox, which stands where FCM would; both clocks are this
// machine's). Each probe is a patient no scenario touched, so no earlier alert
// folds it into one already sent: a phone registered, a grant to the demo
// organisation, then the organisation reads the summary once.
type alertLatency struct {
	Probes, Missed int
	P50, P99, Max  time.Duration
}

// alertProbes is how many patients the latency is measured on, one at a time.
const alertProbes = 40

// alertPhase spreads the probes over the dispatcher's default poll interval.
const alertPhase = 250 * time.Millisecond

// alertWait is how long a probe waits for its push before counting it missed.
const alertWait = 10 * time.Second

func measureAlertLatency(ctx context.Context, c *client, w *seeded) (*alertLatency, error) {
	probes := w.Patients[w.Shared:min(len(w.Patients), w.Shared+alertProbes)]
	r := &alertLatency{}
	var took []time.Duration
	for i, p := range probes {
		token := fmt.Sprintf("kith-bench-alert-%06d", i)
		device := map[string]any{"token": token, "platform": "ios", "appVersion": "1.0.0", "locale": "en-GB"}
		if _, err := c.call(ctx, http.MethodPost, "/v1/me/devices", p.Token, nil, device, nil); err != nil {
			return nil, err
		}
		grant := map[string]any{"organisation": demoOrg, "categories": allCategories}
		key := http.Header{"Idempotency-Key": {fmt.Sprintf("kith-bench-alert-grant-%06d", i)}}
		if _, err := c.call(ctx, http.MethodPost, "/v1/me/grants", p.Token, key, grant, nil); err != nil {
			return nil, err
		}
		// At a random moment of the dispatcher's poll, as a real read would come:
		// probes one after another otherwise fall into step with it.
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(rand.N(alertPhase)):
		}
		began := time.Now()
		if _, err := c.call(ctx, http.MethodGet, "/v1/org/patients/"+url.PathEscape(p.NHSNumber)+"/record/summary", w.OrgToken, nil, nil, nil); err != nil {
			return nil, err
		}
		at, err := pushedAt(ctx, c, token, began, began.Add(alertWait))
		if err != nil {
			return nil, err
		}
		r.Probes++
		if at.IsZero() {
			r.Missed++
			continue
		}
		took = append(took, at.Sub(began))
	}
	r.P50, r.P99, r.Max = spread(took)
	return r, nil
}

// pushedAt polls the development push inbox for a push to token sent after
// since, answering when Kith sent it, or the zero time when none came by deadline.
func pushedAt(ctx context.Context, c *client, token string, since, deadline time.Time) (time.Time, error) {
	for time.Now().Before(deadline) {
		var inbox struct {
			Items []struct {
				At      time.Time `json:"at"`
				Message struct {
					Token string `json:"token"`
				} `json:"message"`
			} `json:"items"`
		}
		if _, err := c.call(ctx, http.MethodGet, "/dev/push-inbox", "", nil, nil, &inbox); err != nil {
			return time.Time{}, err
		}
		for _, it := range inbox.Items {
			if it.Message.Token == token && it.At.After(since) {
				return it.At, nil
			}
		}
		select {
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	return time.Time{}, nil
}

func (a *alertLatency) markdown() string {
	return fmt.Sprintf("- Alert latency, an organisation's read to the push leaving Kith (%d patients no scenario read, one at a time; "+
		"the dispatcher looks for pending alerts every KITH_ALERT_POLL_INTERVAL, 250 ms by default): p50 %s, p99 %s, max %s, %d missed\n",
		a.Probes, a.P50.Round(time.Millisecond), a.P99.Round(time.Millisecond), a.Max.Round(time.Millisecond), a.Missed)
}
