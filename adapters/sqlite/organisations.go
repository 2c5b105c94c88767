package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/kith-health/kith/adapters/internal/cas"
	"github.com/kith-health/kith/domain/organisation"
)

// organisationDoc is how an organisation is stored in organisations.doc. JWKS is a
// []byte, which encoding/json writes as base64: the inline key set comes back byte for
// byte, where embedding it as JSON would have it re-spaced.
type organisationDoc struct {
	ODSCode   string `json:"odsCode"`
	Name      string `json:"name"`
	Status    string `json:"status"`
	JWKSURL   string `json:"jwksUrl,omitempty"`
	JWKS      []byte `json:"jwks,omitempty"`
	CreatedAt int64  `json:"createdAt"`
	UpdatedAt int64  `json:"updatedAt"`
	Version   int64  `json:"version"`
}

func toOrganisationDoc(o organisation.Organisation) organisationDoc {
	return organisationDoc{
		ODSCode: o.ODSCode, Name: o.Name, Status: string(o.Status), JWKSURL: o.JWKSURL, JWKS: o.JWKS,
		CreatedAt: o.CreatedAt.UnixMilli(), UpdatedAt: o.UpdatedAt.UnixMilli(), Version: o.Version,
	}
}

func (d organisationDoc) organisation() organisation.Organisation {
	return organisation.Organisation{
		ODSCode: d.ODSCode, Name: d.Name, Status: organisation.Status(d.Status), JWKSURL: d.JWKSURL, JWKS: d.JWKS,
		CreatedAt: time.UnixMilli(d.CreatedAt).UTC(), UpdatedAt: time.UnixMilli(d.UpdatedAt).UTC(),
		Version: d.Version,
	}
}

// CreateOrganisation implements app.OrganisationStore; the ods_code primary key turns
// a second registration into ErrConflict.
func (s *Store) CreateOrganisation(ctx context.Context, o organisation.Organisation) error {
	doc, err := json.Marshal(toOrganisationDoc(o))
	if err != nil {
		return fmt.Errorf("create organisation: %w", err)
	}
	_, err = s.w.ExecContext(ctx, `INSERT INTO organisations (ods_code, doc) VALUES (?, ?)`, o.ODSCode, string(doc))
	return translate("create organisation", err)
}

// Organisation implements app.OrganisationStore.
func (s *Store) Organisation(ctx context.Context, odsCode string) (organisation.Organisation, error) {
	var raw []byte
	if err := s.queryRow(ctx, `SELECT doc FROM organisations WHERE ods_code = ?`, odsCode).Scan(&raw); err != nil {
		return organisation.Organisation{}, translate("read organisation", err)
	}
	return decodeOrganisation("read organisation", raw)
}

// Organisations implements app.OrganisationStore. There are few enough to read in one go.
func (s *Store) Organisations(ctx context.Context) ([]organisation.Organisation, error) {
	rows, err := s.query(ctx, `SELECT doc FROM organisations ORDER BY ods_code`)
	if err != nil {
		return nil, translate("list organisations", err)
	}
	defer rows.Close()
	var out []organisation.Organisation
	for rows.Next() {
		var raw []byte
		if err := rows.Scan(&raw); err != nil {
			return nil, translate("list organisations", err)
		}
		o, err := decodeOrganisation("list organisations", raw)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, translate("list organisations", rows.Err())
}

// UpdateOrganisation implements app.OrganisationStore with compare-and-set on the version.
func (s *Store) UpdateOrganisation(ctx context.Context, odsCode string, update func(*organisation.Organisation) error) (organisation.Organisation, error) {
	read := func() (organisation.Organisation, int64, error) {
		o, err := s.Organisation(ctx, odsCode)
		return o, o.Version, err
	}
	write := func(o *organisation.Organisation, seen int64) (bool, error) {
		o.ODSCode, o.Version = odsCode, seen+1
		doc := toOrganisationDoc(*o)
		*o = doc.organisation() // hand back what a read would: times at the stored precision
		raw, err := json.Marshal(doc)
		if err != nil {
			return false, fmt.Errorf("update organisation: %w", err)
		}
		res, err := s.w.ExecContext(ctx, `UPDATE organisations SET doc = ? WHERE ods_code = ? AND version = ?`,
			string(raw), odsCode, seen)
		if err != nil {
			return false, translate("update organisation", err)
		}
		n, err := res.RowsAffected()
		return n == 1, translate("update organisation", err)
	}
	return cas.Update(read, update, write)
}

// decodeOrganisation reports a malformed document without quoting it.
func decodeOrganisation(op string, raw []byte) (organisation.Organisation, error) {
	var d organisationDoc
	if err := json.Unmarshal(raw, &d); err != nil {
		return organisation.Organisation{}, fmt.Errorf("%s: stored document: %w", op, err)
	}
	return d.organisation(), nil
}
