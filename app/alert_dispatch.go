package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/patient"
)

// AlertSettings tune the dispatcher.
type AlertSettings struct {
	// Window is how long one viewer's further accesses fold into the alert already
	// sent about them.
	Window time.Duration
	// Lease is how long a dispatcher holds claimed alerts; if it dies, another
	// takes them after this (at-least-once: the phone may then buzz twice).
	Lease time.Duration
	// MaxAttempts claims of one alert before it is parked for an operator.
	MaxAttempts int
	// RetryFor bounds the retries of one push within one claim (429 and 5xx, with
	// exponential backoff and jitter, honouring Retry-After).
	RetryFor time.Duration
	// Poll is how often an idle dispatcher looks for pending alerts.
	Poll time.Duration
}

// DefaultAlertSettings: a ten-minute coalescing window, alerts within a second.
var DefaultAlertSettings = AlertSettings{Window: 10 * time.Minute, Lease: 30 * time.Second, MaxAttempts: 8,
	RetryFor: 15 * time.Second, Poll: 250 * time.Millisecond}

// WithPush enables push alerts through p.
func WithPush(p Pusher, s AlertSettings) Option {
	return func(a *App) { a.pusher, a.alerts = p, s }
}

// claimBatch is how many alerts one dispatch round claims.
const claimBatch = 100

// RunAlertDispatcher dispatches pending alerts until ctx ends, as claimant (a name
// unique to this process). Several nodes may run it: claims keep them apart.
func (a *App) RunAlertDispatcher(ctx context.Context, claimant string, log *slog.Logger) {
	for {
		n, err := a.DispatchAlerts(ctx, claimant)
		if err != nil && ctx.Err() == nil {
			log.WarnContext(ctx, "alert dispatch failed; retrying", "error", err)
		}
		if n == claimBatch {
			continue // more waiting
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(a.alerts.Poll):
		}
	}
}

// DispatchAlerts runs one round: claim pending alerts, coalesce them per patient
// and viewer, push each to the patient's devices, and record the outcome. It
// returns how many events it claimed.
func (a *App) DispatchAlerts(ctx context.Context, claimant string) (int, error) {
	if a.pusher == nil {
		return 0, nil
	}
	now := a.now()
	events, err := a.store.ClaimAlerts(ctx, claimant, now, now.Add(a.alerts.Lease), claimBatch)
	if err != nil || len(events) == 0 {
		return 0, err
	}
	var order []string
	byPatient := map[string][]audit.Event{}
	for _, e := range events {
		if _, ok := byPatient[e.PatientID]; !ok {
			order = append(order, e.PatientID)
		}
		byPatient[e.PatientID] = append(byPatient[e.PatientID], e)
	}
	var errs []error
	for _, patientID := range order {
		errs = append(errs, a.alertPatient(ctx, claimant, patientID, byPatient[patientID]))
	}
	return len(events), errors.Join(errs...)
}

func (a *App) alertPatient(ctx context.Context, claimant, patientID string, events []audit.Event) error {
	p, err := a.store.Patient(ctx, patientID)
	if err != nil {
		return err
	}
	devices, err := a.store.Devices(ctx, patientID)
	if err != nil {
		return err
	}
	guardians, err := a.guardianDevices(ctx, p, events)
	if err != nil {
		return err
	}
	devices = append(devices, guardians...)
	attempts := map[string]int{}
	at := map[string]time.Time{}
	for _, e := range events {
		attempts[e.ID], at[e.ID] = e.AlertAttempts, e.At
	}
	var errs []error
	var digest []alert.Alert
	for _, al := range alert.Compose(events) {
		if al.Urgent || p.Settings.AlertMode != patient.AlertDailyDigest {
			errs = append(errs, a.deliver(ctx, claimant, p, &devices, al, attempts))
			continue
		}
		// A daily digest: each view waits for the first digest time after it.
		due := alert.NextDigest(at[al.EventIDs[0]])
		if a.now().Before(due) {
			errs = append(errs, a.deferAll(ctx, claimant, al, due))
			continue
		}
		digest = append(digest, al)
	}
	if len(digest) > 0 {
		errs = append(errs, a.deliver(ctx, claimant, p, &devices, alert.Digest(p.ID, digest), attempts))
	}
	return errors.Join(errs...)
}

func (a *App) deferAll(ctx context.Context, claimant string, al alert.Alert, until time.Time) error {
	var errs []error
	for _, id := range al.EventIDs {
		errs = append(errs, a.store.DeferAlert(ctx, al.PatientID, id, claimant, until))
	}
	return errors.Join(errs...)
}

// deliver sends one alert, or folds it into one already sent, and records it.
func (a *App) deliver(ctx context.Context, claimant string, p patient.Patient, devices *[]alert.Device, al alert.Alert, attempts map[string]int) error {
	finish := func(state audit.AlertState) error {
		var errs []error
		for _, id := range al.EventIDs {
			errs = append(errs, a.store.FinishAlert(ctx, al.PatientID, id, claimant, state))
		}
		return errors.Join(errs...)
	}
	for _, id := range al.EventIDs {
		if attempts[id] > a.alerts.MaxAttempts {
			return finish(audit.AlertParked)
		}
	}
	if !al.Urgent {
		if until := p.Settings.QuietHours.Until(a.now()); !until.IsZero() {
			return a.deferAll(ctx, claimant, al, until)
		}
	}
	key, window := al.Viewer, a.alerts.Window
	switch p.Settings.AlertMode {
	case patient.AlertFirstView:
		key, window = alert.OrganisationOf(al.Viewer), 100*365*24*time.Hour
	case patient.AlertDailyDigest:
		window = 0 // a digest is sent whole; nothing folds into it later
	}
	if !al.Urgent && window > 0 {
		open, err := a.store.AlertWindowOpen(ctx, al.PatientID, key, a.now())
		if err != nil {
			return err
		}
		if open {
			return finish(audit.AlertCoalesced)
		}
	}
	if len(*devices) == 0 {
		return finish(audit.AlertNoDevice)
	}
	delivered, failed := 0, 0
	var lastErr error
	kept := (*devices)[:0]
	for _, d := range *devices {
		msg := Message{Token: d.Token, Title: al.Title, Body: al.Body, CollapseKey: al.CollapseKey, Urgent: al.Urgent, Data: alertData(al)}
		if d.PatientID != al.PatientID {
			forGuardian(&msg, al.PatientID)
		}
		err := a.pushWithRetry(ctx, msg)
		switch {
		case err == nil:
			delivered++
			kept = append(kept, d)
		case errors.Is(err, ErrDeviceGone):
			if err := a.store.DeleteDevice(ctx, d.PatientID, d.ID); err != nil && !isNotFound(err) {
				lastErr = err
			}
		default:
			failed++
			lastErr = err
			kept = append(kept, d)
		}
	}
	*devices = kept
	if delivered == 0 && failed > 0 {
		// Left claimed: when the lease lapses another round tries again, and after
		// MaxAttempts the alert is parked for an operator. Never dropped.
		return lastErr
	}
	if err := a.store.OpenAlertWindow(ctx, al.PatientID, key, a.now().Add(window)); err != nil {
		return err
	}
	if delivered == 0 {
		return finish(audit.AlertNoDevice)
	}
	return errors.Join(lastErr, finish(audit.AlertSent))
}

// pushWithRetry retries passing failures with exponential backoff and jitter,
// waiting at least the provider's Retry-After, for up to RetryFor.
func (a *App) pushWithRetry(ctx context.Context, msg Message) error {
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := a.pusher.Push(ctx, msg)
		var later *RetryLater
		switch {
		case err == nil:
			return struct{}{}, nil
		case errors.Is(err, ErrDeviceGone):
			return struct{}{}, backoff.Permanent(err)
		case errors.As(err, &later) && later.After > 0:
			return struct{}{}, backoff.RetryAfter(int(later.After.Seconds() + 0.999))
		}
		return struct{}{}, err
	}, backoff.WithBackOff(backoff.NewExponentialBackOff()), backoff.WithMaxElapsedTime(a.alerts.RetryFor))
	return err
}

// alertData is the push's data payload: opaque ids and nothing else (see
// mobile-contract/push-payload.schema.json).
func alertData(al alert.Alert) map[string]string {
	kind := "record-viewed"
	if al.Urgent {
		kind = "emergency-access"
	}
	return map[string]string{"v": "1", "type": kind, "eventId": al.EventID}
}
