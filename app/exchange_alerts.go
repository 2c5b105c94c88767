package app

import (
	"context"
	"errors"

	"github.com/kith-health/kith/domain/exchange"
	"github.com/kith-health/kith/domain/patient"
)

// alertNewResults tells the patient's devices that a pull brought new results,
// when they asked to be told. The push says which link, never what arrived: the
// app fetches that through the API. Best effort: a missed push loses no data, and
// the record shows the results either way.
func (a *App) alertNewResults(ctx context.Context, p patient.Patient, x exchange.Exchange, l exchange.Link) {
	if a.pusher == nil {
		return
	}
	devices, err := a.store.Devices(ctx, p.ID)
	if err != nil {
		return
	}
	for _, d := range devices {
		err := a.pusher.Push(ctx, Message{
			Token: d.Token, Title: "New results in your record", Body: "New results arrived from " + x.Name + ".",
			Data:        map[string]string{"v": "1", "type": "record-updated", "linkId": l.ID},
			CollapseKey: "kith-results-" + l.ID,
		})
		if errors.Is(err, ErrDeviceGone) {
			_ = a.store.DeleteDevice(ctx, p.ID, d.ID)
		}
	}
}
