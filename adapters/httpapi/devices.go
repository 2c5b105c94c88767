package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/fault"
)

// PushInbox is the development stand-in for FCM: what would have been pushed,
// newest first.
type PushInbox interface {
	Recent() []app.PushRecord
}

func (h *handlers) ListDevices(ctx context.Context, _ api.ListDevicesRequestObject) (api.ListDevicesResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	devices, err := h.app.Devices(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListDevices200JSONResponse{Devices: make([]api.Device, len(devices))}
	for i, d := range devices {
		out.Devices[i] = deviceView(d)
	}
	return out, nil
}

func (h *handlers) RegisterDevice(ctx context.Context, req api.RegisterDeviceRequestObject) (api.RegisterDeviceResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	d, created, err := h.app.RegisterDevice(ctx, caller, app.DeviceCommand{Token: b.Token, Platform: string(b.Platform),
		AppVersion: deref(b.AppVersion), Locale: deref(b.Locale)})
	if err != nil {
		return nil, err
	}
	if created {
		return api.RegisterDevice201JSONResponse(deviceView(d)), nil
	}
	return api.RegisterDevice200JSONResponse(deviceView(d)), nil
}

func (h *handlers) DeleteDevice(ctx context.Context, req api.DeleteDeviceRequestObject) (api.DeleteDeviceResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	if err := h.app.DeleteDevice(ctx, caller, req.DeviceId); err != nil {
		return nil, err
	}
	return api.DeleteDevice204Response{}, nil
}

func (h *handlers) GetDevPushInbox(context.Context, api.GetDevPushInboxRequestObject) (api.GetDevPushInboxResponseObject, error) {
	if h.inbox == nil {
		return nil, fmt.Errorf("the development push inbox is off: %w", fault.ErrNotFound)
	}
	items := h.inbox.Recent()
	out := api.GetDevPushInbox200JSONResponse{Items: make([]struct {
		At      time.Time              `json:"at"`
		Message map[string]interface{} `json:"message"`
	}, len(items))}
	for i, it := range items {
		out.Items[i].At = it.At
		if err := json.Unmarshal(it.Message, &out.Items[i].Message); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func deviceView(d alert.Device) api.Device {
	return api.Device{Id: d.ID, Platform: api.DevicePlatform(d.Platform), AppVersion: optional(d.AppVersion),
		Locale: optional(d.Locale), CreatedAt: d.CreatedAt, RefreshedAt: d.RefreshedAt}
}
