package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

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
	Proofing  string `json:"proofing"`
	CreatedAt int64  `json:"createdAt"`
	UpdatedAt int64  `json:"updatedAt"`
	Version   int64  `json:"version"`
}

func toPatientDoc(p patient.Patient) patientDoc {
	return patientDoc{
		ID: p.ID, Issuer: p.Issuer, Subject: p.Subject,
		NHSNumber: p.NHSNumber.Value(), BirthDate: p.BirthDate.Value(), Proofing: string(p.Proofing),
		CreatedAt: p.CreatedAt.UnixMilli(), UpdatedAt: p.UpdatedAt.UnixMilli(), Version: p.Version,
	}
}

func (d patientDoc) patient() patient.Patient {
	return patient.Patient{
		ID: d.ID, Issuer: d.Issuer, Subject: d.Subject,
		NHSNumber: patient.NHSNumber(d.NHSNumber), BirthDate: patient.BirthDate(d.BirthDate),
		Proofing:  patient.ProofingLevel(d.Proofing),
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
	_, err = s.db.ExecContext(ctx, `INSERT INTO patients (id, doc) VALUES (?, ?)`, p.ID, string(doc))
	return translate("create patient", err)
}

// Patient implements app.PatientStore.
func (s *Store) Patient(ctx context.Context, id string) (patient.Patient, error) {
	var raw []byte
	if err := s.db.QueryRowContext(ctx, `SELECT doc FROM patients WHERE id = ?`, id).Scan(&raw); err != nil {
		return patient.Patient{}, translate("read patient", err)
	}
	var d patientDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return patient.Patient{}, fmt.Errorf("read patient: stored document: %w", err)
	}
	return d.patient(), nil
}

// maxUpdateAttempts bounds the compare-and-set loop; each lost race means another
// writer made progress, so reaching it means pathological contention.
const maxUpdateAttempts = 100

// UpdatePatient implements app.PatientStore with compare-and-set on the version.
func (s *Store) UpdatePatient(ctx context.Context, id string, update func(*patient.Patient) error) (patient.Patient, error) {
	for range maxUpdateAttempts {
		p, err := s.Patient(ctx, id)
		if err != nil {
			return patient.Patient{}, err
		}
		seen := p.Version
		if err := update(&p); err != nil {
			return patient.Patient{}, err
		}
		p.ID, p.Version = id, seen+1
		doc, err := json.Marshal(toPatientDoc(p))
		if err != nil {
			return patient.Patient{}, err
		}
		res, err := s.db.ExecContext(ctx, `UPDATE patients SET doc = ? WHERE id = ? AND version = ?`, string(doc), id, seen)
		if err != nil {
			return patient.Patient{}, translate("update patient", err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return p, nil
		}
	}
	return patient.Patient{}, fmt.Errorf("update patient: too much contention: %w", fault.ErrConflict)
}
