package app

import (
	"context"
	"log/slog"
	"slices"
	"time"

	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/identity"
)

// DeviceCommand registers the app on a phone for push alerts.
type DeviceCommand struct {
	Token, Platform, AppVersion, Locale string
}

// RegisterDevice registers (or refreshes) the caller's device. Registering the
// same token again is idempotent: it refreshes the device and reports created false.
func (a *App) RegisterDevice(ctx context.Context, caller identity.Principal, c DeviceCommand) (alert.Device, bool, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return alert.Device{}, false, err
	}
	owner := m.ownerID
	d, err := alert.NewDevice(owner, c.Token, c.Platform, c.AppVersion, c.Locale, a.now())
	if err != nil {
		return alert.Device{}, false, err
	}
	// Whether the device is new is read before the write: the store's own answer
	// compares creation times, which a retry within the same millisecond shares.
	known, err := a.store.Devices(ctx, owner)
	if err != nil {
		return alert.Device{}, false, err
	}
	existed := slices.ContainsFunc(known, func(k alert.Device) bool { return k.ID == d.ID })
	stored, _, err := a.store.PutDevice(ctx, d)
	return stored, err == nil && !existed, err
}

// Devices lists the caller's devices.
func (a *App) Devices(ctx context.Context, caller identity.Principal) ([]alert.Device, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return nil, err
	}
	owner := m.ownerID
	return a.store.Devices(ctx, owner)
}

// DeleteDevice stops alerts to one of the caller's devices.
func (a *App) DeleteDevice(ctx context.Context, caller identity.Principal, id string) error {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return err
	}
	owner := m.ownerID
	return a.store.DeleteDevice(ctx, owner, id)
}

// PurgeStaleDevicesEvery drops devices whose token the app has not refreshed for
// alert.StaleAfter (FCM has dropped them too), every interval until ctx ends.
func (a *App) PurgeStaleDevicesEvery(ctx context.Context, interval time.Duration, log *slog.Logger) {
	for {
		n, err := a.store.DeleteStaleDevices(ctx, a.now().Add(-alert.StaleAfter))
		switch {
		case err != nil && ctx.Err() == nil:
			log.WarnContext(ctx, "purging stale devices failed", "error", err)
		case n > 0:
			log.InfoContext(ctx, "stale devices removed", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// ParkedAlerts lists alerts that kept failing, for operators.
func (a *App) ParkedAlerts(ctx context.Context, caller identity.Principal) ([]AccessLogItem, error) {
	if err := requireOperator(caller); err != nil {
		return nil, err
	}
	events, err := a.store.ParkedAlerts(ctx, maxReports)
	if err != nil {
		return nil, err
	}
	out := make([]AccessLogItem, len(events))
	for i, e := range events {
		out[i] = AccessLogItem{Event: e, Description: DescribeEvent(e)}
	}
	return out, nil
}
