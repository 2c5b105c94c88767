package app

import (
	"context"
	"errors"
	"strings"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/record"
)

// medicinesIn names the delivery's Medication resources by every reference a
// prescription in the same delivery may use for one: its fullUrl and Type/id.
func medicinesIn(ins []record.Incoming) map[string]string {
	names := map[string]string{}
	for _, in := range ins {
		if in.ResourceType != "Medication" {
			continue
		}
		name := record.DisplayOf(in.ResourceType, in.Raw).Text
		if in.FullURL != "" {
			names[in.FullURL] = name
		}
		if in.ID != "" {
			names["Medication/"+in.ID] = name
		}
	}
	return names
}

// nameMedicine gives a medicine named by reference the referenced Medication's
// name, found in the delivery or, failing that, in the patient's record from the
// same source. Unresolved, the entry keeps the label that says it is named by
// reference.
func (a *App) nameMedicine(ctx context.Context, e *record.Entry, inDelivery map[string]string) error {
	ref := e.Clinical.Detail.MedicationRef
	if ref == "" || strings.HasPrefix(ref, "#") {
		return nil // named by the resource itself, or by a contained Medication it carries
	}
	if name, ok := inDelivery[ref]; ok {
		e.Display.Text = name
		return nil
	}
	for _, sourceID := range []string{ref, strings.TrimPrefix(ref, "Medication/")} {
		m, err := a.store.EntryState(ctx, e.PatientID, record.EntryID(e.PatientID, "Medication", "", e.Source(), sourceID))
		switch {
		case err == nil && !m.Deleted:
			e.Display.Text = m.Display.Text
			return nil
		case err != nil && !errors.Is(err, fault.ErrNotFound):
			return err
		}
	}
	return nil
}

// referenceInRecord finds the resource a conditional reference names by
// identifier among the patient's entries: the entry an identifier-keyed delivery
// of it would have landed on. Its reference is the fullUrl it was delivered with,
// else Type/id as its source named it; "" when there is none.
func (a *App) referenceInRecord(ctx context.Context, patientID, resourceType, system, value string) (string, error) {
	if system == "" {
		return "", nil // entries are keyed by system|value: a bare value names nothing certain
	}
	e, err := a.store.EntryState(ctx, patientID, record.EntryID(patientID, resourceType, system+"|"+value, "", ""))
	switch {
	case errors.Is(err, fault.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case e.Deleted || len(e.Provenances) == 0:
		return "", nil
	}
	p := e.Provenances[0]
	if p.FullURL != "" {
		return p.FullURL, nil
	}
	if strings.Contains(p.SourceID, "://") {
		return p.SourceID, nil
	}
	return resourceType + "/" + p.SourceID, nil
}
