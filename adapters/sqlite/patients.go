package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
)

// patientDoc is how a patient is stored in patients.doc.
type patientDoc struct {
	ID        string `json:"id"`
	Issuer    string `json:"issuer"`
	Subject   string `json:"subject"`
	NHSNumber string `json:"nhsNumber,omitempty"`
	BirthDate string `json:"birthDate,omitempty"`
	Given     string `json:"givenName,omitempty"`
	Family    string `json:"familyName,omitempty"`
	Proofing  string `json:"proofing"`
	// BreakGlassRefused is stored rather than "allowed" so that accounts stored
	// before the setting existed read as allowed, the default.
	BreakGlassRefused bool   `json:"breakGlassRefused,omitempty"`
	AlertMode         string `json:"alertMode,omitempty"`
	QuietStart        int    `json:"quietStart,omitempty"`
	QuietEnd          int    `json:"quietEnd,omitempty"`
	CreatedAt         int64  `json:"createdAt"`
	UpdatedAt         int64  `json:"updatedAt"`
	Version           int64  `json:"version"`
}

func toPatientDoc(p patient.Patient) patientDoc {
	return patientDoc{
		ID: p.ID, Issuer: p.Issuer, Subject: p.Subject,
		NHSNumber: p.NHSNumber.Value(), BirthDate: p.BirthDate.Value(), Proofing: string(p.Proofing),
		Given: p.Name.Given, Family: p.Name.Family, BreakGlassRefused: !p.Settings.BreakGlassAllowed,
		AlertMode:  string(p.Settings.AlertMode),
		QuietStart: int(p.Settings.QuietHours.Start), QuietEnd: int(p.Settings.QuietHours.End),
		CreatedAt: p.CreatedAt.UnixMilli(), UpdatedAt: p.UpdatedAt.UnixMilli(), Version: p.Version,
	}
}

func (d patientDoc) patient() patient.Patient {
	return patient.Patient{
		ID: d.ID, Issuer: d.Issuer, Subject: d.Subject,
		NHSNumber: patient.NHSNumber(d.NHSNumber), BirthDate: patient.BirthDate(d.BirthDate),
		Name:     patient.Name{Given: d.Given, Family: d.Family},
		Proofing: patient.ProofingLevel(d.Proofing),
		Settings: patient.Settings{BreakGlassAllowed: !d.BreakGlassRefused, AlertMode: patient.AlertMode(d.AlertMode).OrDefault(),
			QuietHours: alert.QuietHours{Start: alert.Clock(d.QuietStart), End: alert.Clock(d.QuietEnd)}},
		CreatedAt: time.UnixMilli(d.CreatedAt).UTC(), UpdatedAt: time.UnixMilli(d.UpdatedAt).UTC(),
		Version: d.Version,
	}
}

// CreatePatient implements app.PatientStore.
func (s *Store) CreatePatient(ctx context.Context, p patient.Patient) error {
	doc, err := json.Marshal(toPatientDoc(p))
	if err != nil {
		return err
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO patients (id, doc) VALUES (?, ?)`, p.ID, string(doc))
	return translate("create patient", err)
}

// Patient implements app.PatientStore.
func (s *Store) Patient(ctx context.Context, id string) (patient.Patient, error) {
	var raw []byte
	if err := s.queryRow(ctx, `SELECT doc FROM patients WHERE id = ?`, id).Scan(&raw); err != nil {
		return patient.Patient{}, translate("read patient", err)
	}
	var d patientDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return patient.Patient{}, fmt.Errorf("read patient: stored document: %w", err)
	}
	return d.patient(), nil
}

// UpdatePatient implements app.PatientStore with compare-and-set on the version.
func (s *Store) UpdatePatient(ctx context.Context, id string, update func(*patient.Patient) error) (patient.Patient, error) {
	read := func() (patient.Patient, int64, error) {
		p, err := s.Patient(ctx, id)
		return p, p.Version, err
	}
	write := func(p *patient.Patient, seen int64) (bool, error) {
		p.ID, p.Version = id, seen+1
		doc := toPatientDoc(*p)
		*p = doc.patient() // hand back what a read would: times at the stored precision
		raw, err := json.Marshal(doc)
		if err != nil {
			return false, err
		}
		res, err := s.w.ExecContext(ctx, `UPDATE patients SET doc = ? WHERE id = ? AND version = ?`, string(raw), id, seen)
		if err != nil {
			return false, translate("update patient", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update patient", err)
	}
	return cas.Update(read, update, write)
}

// PatientsByNHSNumber implements app.PatientStore through patients_by_nhs_number.
func (s *Store) PatientsByNHSNumber(ctx context.Context, nhs patient.NHSNumber) ([]patient.Patient, error) {
	rows, err := s.query(ctx, `SELECT doc FROM patients WHERE json_extract(doc, '$.nhsNumber') = ?
		ORDER BY json_extract(doc, '$.createdAt'), id`, nhs.Value())
	if err != nil {
		return nil, translate("patients by NHS number", err)
	}
	defer rows.Close()
	var out []patient.Patient
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("patients by NHS number", err)
		}
		var d patientDoc
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("patients by NHS number: stored document: %w", err)
		}
		out = append(out, d.patient())
	}
	return out, translate("patients by NHS number", rows.Err())
}

// PatientIDs implements app.PatientStore.
func (s *Store) PatientIDs(ctx context.Context, after string, limit int) ([]string, error) {
	if limit < 1 {
		return nil, fmt.Errorf("patient ids: limit %d: %w", limit, fault.ErrInvalid)
	}
	rows, err := s.query(ctx, `SELECT id FROM patients WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	if err != nil {
		return nil, translate("patient ids", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, translate("patient ids", err)
		}
		ids = append(ids, id)
	}
	return ids, translate("patient ids", rows.Err())
}
