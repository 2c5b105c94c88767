package app

import (
	"context"
	"fmt"

	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
)

// requireOperator lets only operators administer organisations.
func requireOperator(caller identity.Principal) error {
	if caller.Kind != identity.KindOperator {
		return fmt.Errorf("operators only: %w", fault.ErrForbidden)
	}
	return nil
}

// RegisterOrganisation registers an organisation and the keys it signs client
// assertions with. fault.ErrConflict if its ODS code is registered already.
func (a *App) RegisterOrganisation(ctx context.Context, caller identity.Principal, r organisation.Registration) (organisation.Organisation, error) {
	if err := requireOperator(caller); err != nil {
		return organisation.Organisation{}, err
	}
	o, err := organisation.New(r, a.now())
	if err != nil {
		return organisation.Organisation{}, err
	}
	return o, a.store.CreateOrganisation(ctx, o)
}

// Organisations lists every registered organisation, for operators.
func (a *App) Organisations(ctx context.Context, caller identity.Principal) ([]organisation.Organisation, error) {
	if err := requireOperator(caller); err != nil {
		return nil, err
	}
	return a.store.Organisations(ctx)
}

// Organisation reads one registered organisation, for operators.
func (a *App) Organisation(ctx context.Context, caller identity.Principal, odsCode string) (organisation.Organisation, error) {
	if err := requireOperator(caller); err != nil {
		return organisation.Organisation{}, err
	}
	code, err := organisation.ParseODSCode(odsCode)
	if err != nil {
		return organisation.Organisation{}, fmt.Errorf("%v: %w", err, fault.ErrNotFound)
	}
	return a.store.Organisation(ctx, code)
}

// OrganisationChange is what an operator may change about an organisation.
type OrganisationChange struct {
	Name    string
	Status  organisation.Status
	JWKSURL string
	JWKS    []byte
}

// UpdateOrganisation changes an organisation's name, keys or status. Suspending one
// stops it obtaining new tokens at once; tokens it holds end within their lifetime.
func (a *App) UpdateOrganisation(ctx context.Context, caller identity.Principal, odsCode string, c OrganisationChange) (organisation.Organisation, error) {
	if err := requireOperator(caller); err != nil {
		return organisation.Organisation{}, err
	}
	code, err := organisation.ParseODSCode(odsCode)
	if err != nil {
		return organisation.Organisation{}, fmt.Errorf("%v: %w", err, fault.ErrNotFound)
	}
	return a.store.UpdateOrganisation(ctx, code, func(o *organisation.Organisation) error {
		now := a.now()
		if err := o.Change(c.Name, c.JWKSURL, c.JWKS, now); err != nil {
			return err
		}
		return o.SetStatus(c.Status, now)
	})
}
