package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/access"
	"github.com/kith-health/kith/domain/audit"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/identity"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/sharecode"
)

// RedeemCommand is a viewer's attempt to open a code.
type RedeemCommand struct {
	Code      string // as typed
	Viewer    sharecode.Viewer
	BirthDate string // the patient's, when the code asks for it
	// ClientAddr is where the attempt came from, for throttling.
	ClientAddr string
	// Staff is the organisation's verified caller, when one redeems through its
	// system: required for a code bound to an organisation.
	Staff *identity.Principal
}

// ViewerToken opens a viewer session.
type ViewerToken struct {
	Token     string
	ExpiresIn time.Duration
}

// errCodeRefused is the one answer to every code that does not open: wrong,
// expired, revoked, used up, bound to another organisation, or the wrong date of
// birth. The viewer learns nothing about which.
var errCodeRefused = fault.Denied("share-code-not-accepted")

// Redeem opens a viewer session for a code, counting one view. Attempts are
// throttled per client address and per viewer name across nodes (counted in the
// store). Every refusal does the same work: one hash, one read of a code, one read
// of a patient and one conditional write, whether or not the code exists.
func (a *App) Redeem(ctx context.Context, c RedeemCommand) (ViewerToken, error) {
	if len(a.shares.Secret) == 0 {
		return ViewerToken{}, errNoShareCodes
	}
	viewer, err := c.Viewer.Check()
	if err != nil {
		return ViewerToken{}, err
	}
	if err := a.throttle(ctx, "addr:"+c.ClientAddr, "viewer:"+strings.ToLower(viewer.Name)); err != nil {
		return ViewerToken{}, err
	}
	code, ok := sharecode.Parse(c.Code)
	if !ok {
		code = sharecode.Generate() // a code no one holds, so the work below is the same
	}
	hash := code.Hash(a.shares.Secret)
	found, err := a.store.ShareCodeByHash(ctx, hash)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return ViewerToken{}, err
	}
	owner, err := a.store.Patient(ctx, found.PatientID)
	if err != nil && !errors.Is(err, fault.ErrNotFound) {
		return ViewerToken{}, err
	}
	staffOrg := ""
	if c.Staff != nil && c.Staff.Kind == identity.KindOrganisation {
		staffOrg = c.Staff.ODSCode
	}
	accepted := ok && found.ID != "" &&
		(found.Organisation == "" || found.Organisation == staffOrg) &&
		(!found.RequireBirthDate || sameBirthDate(c.BirthDate, owner.BirthDate))
	if !accepted {
		hash = unmatchableHash()
	}
	used, err := a.store.UseShareCode(ctx, hash, a.now())
	if errors.Is(err, fault.ErrNotFound) {
		return ViewerToken{}, errCodeRefused
	}
	if err != nil {
		return ViewerToken{}, err
	}

	token, tokenHash := sharecode.NewToken()
	s := sharecode.Open(a.newID(), tokenHash, used, viewer, staffOrg, a.now())
	if err := a.store.CreateViewerSession(ctx, s); err != nil {
		return ViewerToken{}, err
	}
	if _, err := a.RecordAccess(ctx, audit.Event{
		PatientID: used.PatientID, Actor: viewerActor(viewerOf(s)), Action: "share-code.redeemed",
		Basis: string(access.BasisShareCode), Categories: categoryNames(used.Categories), GrantIDs: []string{used.ID},
		Label: used.Label, Outcome: audit.OutcomeAllowed, Alert: audit.AlertPending,
	}); err != nil {
		return ViewerToken{}, err
	}
	return ViewerToken{Token: token, ExpiresIn: s.ExpiresAt.Sub(a.now())}, nil
}

// sameBirthDate compares in constant time, as the rest of a refusal takes.
func sameBirthDate(typed string, want patient.BirthDate) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(strings.TrimSpace(typed)), []byte(want.Value())) == 1
}

func unmatchableHash() string {
	var b [32]byte
	rand.Read(b[:])
	return "refused-" + hex.EncodeToString(b[:])
}

// throttle counts an attempt under each key and refuses once any is over the
// limit, until its window ends.
func (a *App) throttle(ctx context.Context, keys ...string) error {
	window := a.now().Truncate(a.shares.AttemptWindow)
	end := window.Add(a.shares.AttemptWindow)
	over := false
	for _, k := range keys {
		n, err := a.store.CountAttempt(ctx, k, window, end.Add(a.shares.AttemptWindow))
		if err != nil {
			return err
		}
		over = over || n > a.shares.AttemptLimit
	}
	if over {
		return fault.RateLimited(end.Sub(a.now()))
	}
	return nil
}

// VerifyViewerToken is the principal a viewer session token stands for, while the
// session lives.
func (a *App) VerifyViewerToken(ctx context.Context, token string) (identity.Principal, error) {
	s, err := a.store.ViewerSession(ctx, sharecode.TokenHash(token))
	if errors.Is(err, fault.ErrNotFound) {
		return identity.Principal{}, fault.Unauthenticated("viewer-session-unknown", nil)
	}
	if err != nil {
		return identity.Principal{}, err
	}
	if !s.LiveAt(a.now()) {
		return identity.Principal{}, fault.Unauthenticated("viewer-session-ended", nil)
	}
	return identity.Principal{Kind: identity.KindViewer, Viewer: viewerOf(s)}, nil
}

// EndViewerSession ends the session of a token at once: the viewer's "finish".
func (a *App) EndViewerSession(ctx context.Context, token string) error {
	err := a.store.EndViewerSession(ctx, sharecode.TokenHash(token), a.now())
	if errors.Is(err, fault.ErrNotFound) {
		return nil // nothing to end
	}
	return err
}

func viewerOf(s sharecode.Session) identity.Viewer {
	return identity.Viewer{SessionID: s.ID, ShareCodeID: s.CodeID, PatientID: s.PatientID, Name: s.ViewerName,
		Role: s.ViewerRole, Organisation: s.Organisation, Label: s.Label, ExpiresAt: s.ExpiresAt}
}

func viewerActor(v identity.Viewer) audit.Actor {
	return audit.Actor{Kind: audit.ActorViewer, ID: v.SessionID, Organisation: v.Organisation,
		PractitionerName: v.Name, PractitionerRole: v.Role}
}
