package app

import (
	"context"
	"maps"
	"strings"

	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/patient"
)

// guardianDevices are the phones of the child's guardians whose guardianship is in
// force today and carries alerts, through the same dispatcher and the child's
// alert preferences. A guardian is not told of what they did themselves.
func (a *App) guardianDevices(ctx context.Context, child patient.Patient, events []audit.Event) ([]alert.Device, error) {
	held, err := a.store.GuardianshipsOfChild(ctx, child.ID)
	if err != nil || len(held) == 0 {
		return nil, err
	}
	screen, err := a.store.Screen(ctx, child.ID)
	if err != nil {
		return nil, err
	}
	var out []alert.Device
	for _, g := range held {
		if st := a.proxy.Evaluate(g, child.BirthDate, screen, a.now()); !st.InForce || !st.Alerts || allBy(events, g.GuardianID) {
			continue
		}
		ds, err := a.store.Devices(ctx, g.GuardianID)
		if err != nil {
			return nil, err
		}
		out = append(out, ds...)
	}
	return out, nil
}

func allBy(events []audit.Event, actorID string) bool {
	for _, e := range events {
		if e.Actor.ID != actorID {
			return false
		}
	}
	return true
}

// forGuardian words an alert for a guardian's phone: it is someone else's record,
// named by its account id only, which the app opens through the API. The title
// stays one the app knows.
func forGuardian(m *Message, childID string) {
	m.Body = strings.ReplaceAll(m.Body, "your record", "a record you look after")
	m.Data = maps.Clone(m.Data)
	m.Data["patientId"] = childID
}
