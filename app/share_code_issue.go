package app

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/organisation"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

// ShareCodeCommand is what a patient asks a code for.
type ShareCodeCommand struct {
	Categories       []record.Category
	IncludeSensitive bool
	Label            string
	MaxViews         int           // 0: unlimited until expiry
	Lifetime         time.Duration // 0: a day
	Organisation     string        // "": anyone with the code
	RequireBirthDate bool
}

// ShareCodeView is a code as its patient sees it: never the code itself, which
// Kith does not keep.
type ShareCodeView struct {
	sharecode.ShareCode
	Status sharecode.Status
}

// IssuedShareCode is a new code, shown once.
type IssuedShareCode struct {
	ShareCodeView
	Code sharecode.Code
	// ViewerURL opens the viewer with the code filled in, for a QR code.
	ViewerURL string
}

// IssueShareCode makes a code that lets one viewer read the chosen categories of
// the caller's record. The code is returned once; only its keyed hash is stored.
func (a *App) IssueShareCode(ctx context.Context, caller identity.Principal, c ShareCodeCommand) (IssuedShareCode, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return IssuedShareCode{}, err
	}
	owner := m.ownerID
	if err := m.within(c.Categories, c.IncludeSensitive); err != nil {
		return IssuedShareCode{}, err
	}
	if len(a.shares.Secret) == 0 {
		return IssuedShareCode{}, errNoShareCodes
	}
	if c.Organisation != "" {
		code, err := organisation.ParseODSCode(c.Organisation)
		if err != nil {
			return IssuedShareCode{}, fault.Invalid("organisation", "ods")
		}
		if _, err := a.store.Organisation(ctx, code); errors.Is(err, fault.ErrNotFound) {
			return IssuedShareCode{}, fault.Invalid("organisation", "registered")
		} else if err != nil {
			return IssuedShareCode{}, err
		}
		c.Organisation = code
	}
	code := sharecode.Generate()
	sc, err := sharecode.New(sharecode.Request{ID: a.newID(), PatientID: owner, Hash: code.Hash(a.shares.Secret),
		Label: c.Label, Categories: c.Categories, IncludeSensitive: c.IncludeSensitive, MaxViews: c.MaxViews,
		Lifetime: c.Lifetime, Organisation: c.Organisation, RequireBirthDate: c.RequireBirthDate, IssuedBy: m.actorID()}, a.now())
	if err != nil {
		return IssuedShareCode{}, err
	}
	if err := a.store.CreateShareCode(ctx, sc); err != nil {
		return IssuedShareCode{}, err
	}
	if err := a.recordChange(ctx, m, audit.Event{Action: "share-code.issued", Categories: categoryNames(sc.Categories),
		GrantIDs: []string{sc.ID}, Label: sc.Label, Query: shareTerms(sc)}); err != nil {
		return IssuedShareCode{}, err
	}
	return IssuedShareCode{
		ShareCodeView: ShareCodeView{ShareCode: sc, Status: sc.StatusAt(a.now())},
		Code:          code,
		ViewerURL:     strings.TrimSuffix(a.publicURL, "/") + "/view?code=" + url.QueryEscape(code.String()),
	}, nil
}

func shareTerms(c sharecode.ShareCode) string {
	v := url.Values{}
	v.Set("includeSensitive", strconv.FormatBool(c.IncludeSensitive))
	v.Set("maxViews", strconv.Itoa(c.MaxViews))
	v.Set("expires", c.ExpiresAt.Format(time.RFC3339))
	if c.Organisation != "" {
		v.Set("organisation", c.Organisation)
	}
	return v.Encode()
}

// ShareCodes lists the caller's codes, active and past, newest first, with the
// views used.
func (a *App) ShareCodes(ctx context.Context, caller identity.Principal) ([]ShareCodeView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return nil, err
	}
	owner := m.ownerID
	codes, err := a.store.ShareCodes(ctx, owner)
	if err != nil {
		return nil, err
	}
	out := make([]ShareCodeView, len(codes))
	for i, c := range codes {
		out[i] = ShareCodeView{ShareCode: c, Status: c.StatusAt(a.now())}
	}
	return out, nil
}

// RevokeShareCode ends a code at once: it can no longer be redeemed, and sessions
// it opened read nothing more (the access decision checks the code on every read).
// Revoking again changes nothing.
func (a *App) RevokeShareCode(ctx context.Context, caller identity.Principal, id string) (ShareCodeView, error) {
	m, err := a.manage(ctx, caller)
	if err != nil {
		return ShareCodeView{}, err
	}
	owner := m.ownerID
	already := false
	c, err := a.store.UpdateShareCode(ctx, owner, id, func(c *sharecode.ShareCode) error {
		already = !c.RevokedAt.IsZero()
		c.Revoke(a.now())
		return nil
	})
	if err != nil {
		return ShareCodeView{}, err
	}
	if !already {
		if err := a.recordChange(ctx, m, audit.Event{Action: "share-code.revoked", Categories: categoryNames(c.Categories),
			GrantIDs: []string{c.ID}, Label: c.Label}); err != nil {
			return ShareCodeView{}, err
		}
	}
	return ShareCodeView{ShareCode: c, Status: c.StatusAt(a.now())}, nil
}
