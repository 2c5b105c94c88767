package httpapi

import (
	"context"
	"time"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/kith-health/kith/adapters/httpapi/api"
	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/guardianship"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

func (h *handlers) ListChildren(ctx context.Context, _ api.ListChildrenRequestObject) (api.ListChildrenResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	children, err := h.app.Children(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListChildren200JSONResponse{Children: make([]api.Child, len(children))}
	for i, c := range children {
		st := c.Standing
		v := api.Child{PatientId: uuid.MustParse(c.Child.ID), GuardianshipId: c.Guardianship.ID,
			GivenName: optional(c.Child.Name.Given), FamilyName: optional(c.Child.Name.Family), DateOfBirth: date(c.Child.BirthDate),
			AgeBand: api.AgeBand(st.Band), Relationship: api.Relationship(c.Guardianship.Relationship),
			Status: statusOf(st, c.Guardianship), Reason: optional(st.Reason), May: mayOf(st), ReviewDue: st.ReviewDue,
			Notice: optional(c.Notice)}
		if st.Age >= 0 {
			v.Age = &st.Age
			v.SixteenOn = &openapi_types.Date{Time: st.AdultOn.Start()}
		}
		out.Children[i] = v
	}
	return out, nil
}

func (h *handlers) ListGuardians(ctx context.Context, _ api.ListGuardiansRequestObject) (api.ListGuardiansResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	guardians, err := h.app.Guardians(ctx, caller)
	if err != nil {
		return nil, err
	}
	out := api.ListGuardians200JSONResponse{Guardians: make([]api.Guardian, len(guardians))}
	for i, g := range guardians {
		out.Guardians[i] = guardianView(g)
	}
	return out, nil
}

func guardianView(g app.GuardianView) api.Guardian {
	v := api.Guardian{GuardianshipId: g.Guardianship.ID, Relationship: api.Relationship(g.Guardianship.Relationship),
		GivenName: optional(g.Name.Given), FamilyName: optional(g.Name.Family)}
	if g.Standing == nil {
		return v // a fellow guardian: who, and what they are to the child, no more
	}
	basis := api.GuardianLegalBasis(g.Guardianship.LegalBasis)
	status := statusOf(*g.Standing, g.Guardianship)
	may := mayOf(*g.Standing)
	v.LegalBasis, v.Status, v.Reason, v.May, v.Notice = &basis, &status, optional(g.Standing.Reason), &may, optional(g.Notice)
	v.Start, v.End = &g.Guardianship.Start, optionalTime(g.Guardianship.End)
	return v
}

func (h *handlers) ChangeGuardian(ctx context.Context, req api.ChangeGuardianRequestObject) (api.ChangeGuardianResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	var cats []record.Category
	if req.Body.Categories != nil {
		cats = categories(*req.Body.Categories)
	}
	g, err := h.app.ChangeGuardian(ctx, caller, req.GuardianshipId, app.GuardianChange(req.Body.Change), cats)
	if err != nil {
		return nil, err
	}
	return api.ChangeGuardian200JSONResponse(guardianView(g)), nil
}

func (h *handlers) GetGuardianScreen(ctx context.Context, _ api.GetGuardianScreenRequestObject) (api.GetGuardianScreenResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	s, err := h.app.OwnScreen(ctx, caller)
	if err != nil {
		return nil, err
	}
	return api.GetGuardianScreen200JSONResponse(screenView(s)), nil
}

func (h *handlers) ChangeGuardianScreen(ctx context.Context, req api.ChangeGuardianScreenRequestObject) (api.ChangeGuardianScreenResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	c := app.ScreenChange{}
	if b.Hide != nil {
		c.Hide = categories(*b.Hide)
	}
	if b.Show != nil {
		c.Show = categories(*b.Show)
	}
	if b.HideEntries != nil {
		c.HideEntries = *b.HideEntries
	}
	if b.ShowEntries != nil {
		c.ShowEntries = *b.ShowEntries
	}
	s, err := h.app.ChangeScreen(ctx, caller, c)
	if err != nil {
		return nil, err
	}
	s.Safeguarding = nil
	return api.ChangeGuardianScreen200JSONResponse(screenView(s)), nil
}

func screenView(s guardianship.Screen) api.GuardianScreen {
	out := api.GuardianScreen{HiddenCategories: make([]api.Category, len(s.HiddenCategories)), HiddenEntries: append([]string{}, s.HiddenEntries...)}
	for i, c := range s.HiddenCategories {
		out.HiddenCategories[i] = api.Category(c)
	}
	return out
}

func (h *handlers) ListChildGuardianships(ctx context.Context, req api.ListChildGuardianshipsRequestObject) (api.ListChildGuardianshipsResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	nhs, err := patient.ParseNHSNumber(req.NhsNumber)
	if err != nil {
		return nil, err
	}
	held, err := h.app.ChildGuardianships(ctx, caller, nhs)
	if err != nil {
		return nil, err
	}
	out := api.ListChildGuardianships200JSONResponse{Guardianships: make([]api.Guardianship, len(held))}
	for i, g := range held {
		out.Guardianships[i] = guardianshipRecord(g)
	}
	return out, nil
}

func (h *handlers) EstablishGuardianship(ctx context.Context, req api.EstablishGuardianshipRequestObject) (api.EstablishGuardianshipResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	child, err := patient.ParseNHSNumber(req.NhsNumber)
	if err != nil {
		return nil, err
	}
	b := req.Body
	// A malformed guardian's number is the app's to refuse, after it has decided
	// the caller may establish at all.
	guardian, _ := patient.ParseNHSNumber(b.GuardianNhsNumber)
	c := app.GuardianshipCommand{Child: child, Guardian: guardian, Relationship: guardianship.Relationship(b.Relationship),
		LegalBasis: guardianship.LegalBasis(b.LegalBasis),
		Evidence:   guardianship.Evidence{Kind: guardianship.EvidenceKind(b.Evidence.Kind), Reference: b.Evidence.Reference}}
	if b.Child != nil {
		if b.Child.BirthDate != nil {
			c.ChildDetails.BirthDate = b.Child.BirthDate.Format(time.DateOnly)
		}
		c.ChildDetails.Given, c.ChildDetails.Family = deref(b.Child.GivenName), deref(b.Child.FamilyName)
	}
	if b.Start != nil {
		c.Start = *b.Start
	}
	if b.End != nil {
		c.End = *b.End
	}
	if b.Access != nil {
		c.Access = categories(*b.Access)
	}
	g, err := h.app.EstablishGuardianship(ctx, caller, c)
	if err != nil {
		return nil, err
	}
	return api.EstablishGuardianship201JSONResponse(guardianshipRecord(app.GuardianView{Guardianship: g})), nil
}

func (h *handlers) RestrictGuardian(ctx context.Context, req api.RestrictGuardianRequestObject) (api.RestrictGuardianResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	child, err := patient.ParseNHSNumber(req.NhsNumber)
	if err != nil {
		return nil, err
	}
	g, err := h.app.RestrictGuardian(ctx, caller, child, req.GuardianshipId, true, req.Body.Reason)
	if err != nil {
		return nil, err
	}
	return api.RestrictGuardian200JSONResponse(guardianshipRecord(g)), nil
}

func (h *handlers) LiftRestriction(ctx context.Context, req api.LiftRestrictionRequestObject) (api.LiftRestrictionResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	child, err := patient.ParseNHSNumber(req.NhsNumber)
	if err != nil {
		return nil, err
	}
	g, err := h.app.RestrictGuardian(ctx, caller, child, req.GuardianshipId, false, "")
	if err != nil {
		return nil, err
	}
	return api.LiftRestriction200JSONResponse(guardianshipRecord(g)), nil
}

func (h *handlers) MarkSafeguarding(ctx context.Context, req api.MarkSafeguardingRequestObject) (api.MarkSafeguardingResponseObject, error) {
	caller, err := callerOf(ctx)
	if err != nil {
		return nil, err
	}
	child, err := patient.ParseNHSNumber(req.NhsNumber)
	if err != nil {
		return nil, err
	}
	n, err := h.app.MarkSafeguarding(ctx, caller, child, req.Body.EntryIds)
	if err != nil {
		return nil, err
	}
	return api.MarkSafeguarding200JSONResponse{Marked: n}, nil
}

// guardianshipRecord is the safeguarding view of a guardianship, for organisations
// and operators only.
func guardianshipRecord(v app.GuardianView) api.Guardianship {
	g := v.Guardianship
	out := api.Guardianship{Id: g.ID, Relationship: api.Relationship(g.Relationship), LegalBasis: api.GuardianshipLegalBasis(g.LegalBasis),
		GuardianGivenName: optional(v.Name.Given), GuardianFamilyName: optional(v.Name.Family),
		Start: g.Start, End: optionalTime(g.End), StoredStatus: api.GuardianshipStatus(g.Status), Status: api.GuardianshipStatus(g.Status),
		Reason: optional(g.StatusReason), LastActionAt: optionalTime(g.LastActionAt), CreatedAt: g.CreatedAt}
	out.Evidence.Kind, out.Evidence.Reference = string(g.Evidence.Kind), g.Evidence.Reference
	out.EstablishedBy.Kind, out.EstablishedBy.Id = api.GuardianshipEstablishedByKind(g.EstablishedBy.Kind), g.EstablishedBy.ID
	out.EstablishedBy.Organisation = optional(g.EstablishedBy.Organisation)
	if v.Standing != nil {
		band, may := api.AgeBand(v.Standing.Band), mayOf(*v.Standing)
		out.Status, out.Reason, out.AgeBand, out.May = statusOf(*v.Standing, g), optional(v.Standing.Reason), &band, &may
	}
	if r := g.Restriction; r != nil {
		by := r.By.ID
		if r.By.Organisation != "" {
			by = r.By.Organisation
		}
		out.Restriction = &struct {
			At     time.Time `json:"at"`
			By     string    `json:"by"`
			Reason string    `json:"reason"`
		}{At: r.At, By: by, Reason: r.Reason}
	}
	return out
}

// statusOf is the status in force now, as the Validated Relationships Service
// names them.
func statusOf(st guardianship.Standing, g guardianship.Guardianship) api.GuardianshipStatus {
	switch {
	case st.InForce:
		return api.GuardianshipStatus(guardianship.Active)
	case st.Reason == guardianship.ReasonProposed:
		return api.GuardianshipStatus(guardianship.Proposed)
	case st.Reason == guardianship.ReasonEnded || st.Reason == guardianship.ReasonUnused || st.Reason == guardianship.ReasonNotStarted || g.Status == guardianship.Inactive:
		return api.GuardianshipStatus(guardianship.Inactive)
	}
	return api.GuardianshipStatus(guardianship.Suspended)
}

func mayOf(st guardianship.Standing) api.GuardianMay {
	m := api.GuardianMay{Read: make([]api.Category, 0, len(st.Read)), Manage: st.InForce && st.Manage, Alerts: st.InForce && st.Alerts}
	if st.InForce {
		for _, c := range st.Read {
			m.Read = append(m.Read, api.Category(c))
		}
	}
	return m
}

func categories(cs []api.Category) []record.Category {
	out := make([]record.Category, len(cs))
	for i, c := range cs {
		out[i] = record.Category(c)
	}
	return out
}

func date(b patient.BirthDate) *openapi_types.Date {
	d, err := time.Parse(time.DateOnly, b.Value())
	if err != nil {
		return nil
	}
	return &openapi_types.Date{Time: d}
}
