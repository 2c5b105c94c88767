package sandbox

import (
	"fmt"
	"strings"

	"github.com/kith-health/kith/domain/fault"
)

// Add stores a new resource in the patient's compartment, as the exchange would on
// receiving it: an id assigned when it has none, meta.versionId "1" and
// meta.lastUpdated now (a millisecond after the latest search's snapshot if the
// clock has not moved past it, so an incremental search after that one finds it). It returns "Type/id". fault.ErrNotFound for an unknown
// patient, fault.ErrConflict for an id already stored, fault.ErrInvalid for what is
// not a resource, a Patient (the patients are fixed at load) or a bad id.
func (s *Sandbox) Add(patientID string, resource []byte) (string, error) {
	d, err := decode(resource)
	if err != nil {
		return "", fmt.Errorf("sandbox add: %v: %w", err, fault.ErrInvalid)
	}
	if d.typ == "Patient" {
		return "", fmt.Errorf("sandbox add: the patients are fixed at load: %w", fault.ErrInvalid)
	}
	if d.id != "" && !fhirID.MatchString(d.id) {
		return "", fmt.Errorf("sandbox add: id %q: %w", d.id, fault.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addLocked(patientID, d)
}

func (s *Sandbox) addLocked(patientID string, d decoded) (string, error) {
	p, ok := s.st.byID[patientID]
	if !ok {
		return "", fmt.Errorf("sandbox add: patient %s: %w", patientID, fault.ErrNotFound)
	}
	if d.id == "" {
		d.id = s.newID()
	}
	d.obj["id"] = d.id
	now := s.changeStamp()
	if _, err := stampMeta(d.obj, now, true); err != nil {
		return "", err
	}
	body, err := encode(d.obj)
	if err != nil {
		return "", fmt.Errorf("sandbox add: %v: %w", err, fault.ErrInvalid)
	}
	r := &resource{typ: d.typ, id: d.id, updated: now, body: body}
	if err := s.st.put(p, r); err != nil {
		return "", fmt.Errorf("sandbox add: %w", err)
	}
	return r.ref(), nil
}

// Delete removes a resource ("Type/id") from every search; its type's _history
// shows a DELETE entry for it. fault.ErrNotFound when there is no such live
// resource; fault.ErrInvalid for a Patient.
func (s *Sandbox) Delete(ref string) error {
	if typ, id, ok := strings.Cut(ref, "/"); !ok || typ == "" || id == "" {
		return fmt.Errorf("sandbox delete: %q is not Type/id: %w", ref, fault.ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.st.remove(ref, s.changeStamp()); err != nil {
		return fmt.Errorf("sandbox delete: %w", err)
	}
	return nil
}
