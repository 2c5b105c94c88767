package mongo

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/alert"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
)

// patientRecord is how a patient is stored in the patients collection. The _id is the
// patient id, which is also the shard key, so reads by id go to one shard.
type patientRecord struct {
	ID        string        `bson:"_id"`
	Issuer    string        `bson:"issuer"`
	Subject   string        `bson:"subject"`
	NHSNumber string        `bson:"nhs_number,omitempty"`
	BirthDate string        `bson:"birth_date,omitempty"`
	Given     string        `bson:"given_name,omitempty"`
	Family    string        `bson:"family_name,omitempty"`
	Proofing  string        `bson:"proofing"`
	CreatedAt bson.DateTime `bson:"created_at"`
	UpdatedAt bson.DateTime `bson:"updated_at"`
	Version   int64         `bson:"version"`
	// BreakGlassRefused is stored rather than "allowed" so that accounts stored
	// before the setting existed read as allowed, the default.
	BreakGlassRefused bool `bson:"break_glass_refused,omitempty"`
	// AlertMode is absent on accounts stored before alert preferences existed; they
	// read as the default (see patient.AlertMode.OrDefault).
	AlertMode  string `bson:"alert_mode,omitempty"`
	QuietStart int    `bson:"quiet_start,omitempty"`
	QuietEnd   int    `bson:"quiet_end,omitempty"`
}

func toPatientRecord(p patient.Patient) patientRecord {
	return patientRecord{
		ID: p.ID, Issuer: p.Issuer, Subject: p.Subject,
		NHSNumber: p.NHSNumber.Value(), BirthDate: p.BirthDate.Value(), Proofing: string(p.Proofing),
		Given: p.Name.Given, Family: p.Name.Family, BreakGlassRefused: !p.Settings.BreakGlassAllowed,
		AlertMode:  string(p.Settings.AlertMode),
		QuietStart: int(p.Settings.QuietHours.Start), QuietEnd: int(p.Settings.QuietHours.End),
		CreatedAt: bson.NewDateTimeFromTime(p.CreatedAt), UpdatedAt: bson.NewDateTimeFromTime(p.UpdatedAt),
		Version: p.Version,
	}
}

func (r patientRecord) patient() patient.Patient {
	return patient.Patient{
		ID: r.ID, Issuer: r.Issuer, Subject: r.Subject,
		NHSNumber: patient.NHSNumber(r.NHSNumber), BirthDate: patient.BirthDate(r.BirthDate),
		Name:     patient.Name{Given: r.Given, Family: r.Family},
		Proofing: patient.ProofingLevel(r.Proofing),
		Settings: patient.Settings{BreakGlassAllowed: !r.BreakGlassRefused, AlertMode: patient.AlertMode(r.AlertMode).OrDefault(),
			QuietHours: alert.QuietHours{Start: alert.Clock(r.QuietStart), End: alert.Clock(r.QuietEnd)}},
		CreatedAt: r.CreatedAt.Time().UTC(), UpdatedAt: r.UpdatedAt.Time().UTC(),
		Version: r.Version,
	}
}

// CreatePatient implements app.PatientStore. The _id, derived from the person's
// (issuer, subject), turns a second account into ErrConflict.
func (s *Store) CreatePatient(ctx context.Context, p patient.Patient) error {
	_, err := s.patients.InsertOne(ctx, toPatientRecord(p))
	return translate("create patient", err)
}

// Patient implements app.PatientStore.
func (s *Store) Patient(ctx context.Context, id string) (patient.Patient, error) {
	var r patientRecord
	if err := s.patients.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(&r); err != nil {
		return patient.Patient{}, translate("read patient", err)
	}
	return r.patient(), nil
}

// UpdatePatient implements app.PatientStore with compare-and-set on the version: the
// replacement matches only the version this attempt read.
func (s *Store) UpdatePatient(ctx context.Context, id string, update func(*patient.Patient) error) (patient.Patient, error) {
	read := func() (patient.Patient, int64, error) {
		p, err := s.Patient(ctx, id)
		return p, p.Version, err
	}
	write := func(p *patient.Patient, seen int64) (bool, error) {
		p.ID, p.Version = id, seen+1
		record := toPatientRecord(*p)
		*p = record.patient() // hand back what a read would: times at the stored precision
		res, err := s.patients.ReplaceOne(ctx,
			bson.D{{Key: "_id", Value: id}, {Key: "version", Value: seen}}, record)
		if err != nil {
			return false, translate("update patient", err)
		}
		return res.MatchedCount == 1, nil
	}
	return cas.Update(read, update, write)
}

// PatientsByNHSNumber implements app.PatientStore through patients_by_nhs_number,
// oldest first with _id breaking ties. Patients are sharded on _id, so this asks
// every shard: organisations know a patient by NHS number only.
func (s *Store) PatientsByNHSNumber(ctx context.Context, nhs patient.NHSNumber) ([]patient.Patient, error) {
	cur, err := s.patients.Find(ctx, bson.D{{Key: "nhs_number", Value: nhs.Value()}},
		options.Find().SetSort(bson.D{{Key: "created_at", Value: 1}, {Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("patients by NHS number", err)
	}
	var records []patientRecord
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("patients by NHS number", err)
	}
	var out []patient.Patient
	for _, r := range records {
		out = append(out, r.patient())
	}
	return out, nil
}

// PatientIDs implements app.PatientStore, walking the _id index and reading nothing
// else.
func (s *Store) PatientIDs(ctx context.Context, after string, limit int) ([]string, error) {
	if limit < 1 {
		return nil, fmt.Errorf("patient ids: limit %d: %w", limit, fault.ErrInvalid)
	}
	cur, err := s.patients.Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}},
		options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(int64(limit)).
			SetProjection(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, translate("patient ids", err)
	}
	var records []struct {
		ID string `bson:"_id"`
	}
	if err := cur.All(ctx, &records); err != nil {
		return nil, translate("patient ids", err)
	}
	ids := make([]string, len(records))
	for i, r := range records {
		ids[i] = r.ID
	}
	return ids, nil
}
