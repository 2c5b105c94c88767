package web

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
	"github.com/kith-health/kith/domain/sharecode"
)

type enterPage struct {
	Title, Error                            string
	Code, ViewerName, ViewerRole, BirthDate string
}

func (v *Viewer) enter(c *fiber.Ctx) error {
	if c.Cookies(cookieName) != "" {
		if _, err := v.app.VerifyViewerToken(v.context(c), c.Cookies(cookieName)); err == nil {
			return c.Redirect("/view/record", fiber.StatusSeeOther)
		}
	}
	return v.render(c, fiber.StatusOK, "enter", enterPage{Title: "Open a shared record", Code: strings.Clone(c.Query("code"))})
}

func (v *Viewer) redeem(c *fiber.Ctx) error {
	form := enterPage{Title: "Open a shared record", Code: c.FormValue("code"), ViewerName: c.FormValue("viewerName"),
		ViewerRole: c.FormValue("viewerRole"), BirthDate: c.FormValue("dateOfBirth")}
	ctx := v.context(c)
	token, err := v.app.Redeem(ctx, app.RedeemCommand{Code: form.Code, BirthDate: form.BirthDate, ClientAddr: app.ClientAddr(ctx),
		Viewer: sharecode.Viewer{Name: form.ViewerName, Role: form.ViewerRole}})
	var rl *fault.RateLimitedError
	var ve *fault.ValidationError
	switch {
	case err == nil:
		v.setCookie(c, token.Token, time.Now().Add(token.ExpiresIn))
		return c.Redirect("/view/record", fiber.StatusSeeOther)
	case errors.As(err, &ve):
		form.Error = "Enter your name and your role: the patient sees who looked at their record."
		return v.render(c, fiber.StatusUnprocessableEntity, "enter", form)
	case errors.As(err, &rl):
		minutes := int(math.Ceil(rl.RetryAfter.Minutes()))
		c.Set(fiber.HeaderRetryAfter, fmt.Sprint(int(math.Ceil(rl.RetryAfter.Seconds()))))
		form.Error = fmt.Sprintf("Too many attempts from this computer. Try again in %d minute%s.", minutes, plural(minutes))
		return v.render(c, fiber.StatusTooManyRequests, "enter", form)
	case errors.Is(err, fault.ErrForbidden):
		form.Error = "This code was not accepted. Check you typed it correctly. If it still does not work it may have expired, been used up or been cancelled, or it may need the patient's date of birth: ask the patient."
		return v.render(c, fiber.StatusForbidden, "enter", form)
	}
	return v.unavailable(c, err)
}

// The summary page leads with what an emergency needs, then the rest shared.
var leading = []record.Category{record.Allergies, record.Medications, record.Conditions, record.Results, record.Immunizations}

var titles = map[record.Category]string{
	record.Demographics: "Demographics", record.Allergies: "Allergies", record.Medications: "Medications",
	record.Conditions: "Conditions", record.Immunizations: "Immunisations", record.Results: "Recent results",
	record.Vitals: "Vital signs", record.Encounters: "Encounters", record.Procedures: "Procedures",
	record.Documents: "Documents", record.CarePlans: "Care plans", record.Administrative: "Administrative",
}

type patientBanner struct{ Name, NHS, BirthDate string }

type item struct{ Text, Status, Date string }

type section struct {
	Category     record.Category
	Title, Lower string
	Count        int
	Items        []item
}

type recordPage struct {
	Title, Label, EndsAt string
	Patient              patientBanner
	Sections             []section
}

func (v *Viewer) record(c *fiber.Ctx) error {
	p, ok, err := v.session(c)
	if !ok {
		return err
	}
	o, err := v.app.SharedRecordOverview(v.context(c), p)
	if errors.Is(err, fault.ErrNotFound) {
		v.clearCookie(c)
		return v.ended(c, "This share has ended", "The patient has cancelled this share code, or it has expired. Nothing more can be shown.")
	}
	if err != nil {
		return v.unavailable(c, err)
	}
	page := recordPage{Title: "Shared record", Label: o.Label, EndsAt: o.ExpiresAt.In(v.zone).Format("15:04"),
		Patient: v.banner(o.Patient)}
	shared := map[record.Category]bool{}
	for c, n := range o.Summary.Counts {
		shared[c] = n > 0
	}
	order := append([]record.Category{}, leading...)
	for _, c := range record.Categories {
		if !slices.Contains(order, c) {
			order = append(order, c)
		}
	}
	for _, cat := range order {
		if !shared[cat] {
			continue
		}
		s := section{Category: cat, Title: titles[cat], Lower: strings.ToLower(titles[cat]), Count: o.Summary.Counts[cat]}
		for _, it := range o.Summary.Latest[cat] {
			s.Items = append(s.Items, v.item(it.Display))
		}
		page.Sections = append(page.Sections, s)
	}
	return v.render(c, fiber.StatusOK, "record", page)
}

type categoryPage struct {
	Title, EndsAt string
	Patient       patientBanner
	Section       section
	More          bool
}

func (v *Viewer) category(c *fiber.Ctx) error {
	p, ok, err := v.session(c)
	if !ok {
		return err
	}
	cat := record.Category(strings.Clone(c.Params("category")))
	if !record.KnownCategory(cat) {
		return v.render(c, fiber.StatusNotFound, "ended", map[string]string{"Title": "Not found", "Message": "There is no such part of a record."})
	}
	ctx := v.context(c)
	entries, next, err := v.app.RecordEntries(ctx, p, app.RecordRef{}, app.EntryQuery{Category: cat, Limit: 200})
	switch {
	case errors.Is(err, fault.ErrForbidden):
		return v.render(c, fiber.StatusForbidden, "ended", map[string]string{"Title": "Not shared with you",
			"Message": "The patient did not share this part of their record with this code."})
	case errors.Is(err, fault.ErrNotFound):
		v.clearCookie(c)
		return v.ended(c, "This share has ended", "The patient has cancelled this share code, or it has expired. Nothing more can be shown.")
	case err != nil:
		return v.unavailable(c, err)
	}
	o, err := v.app.SharedPatient(ctx, p)
	if err != nil {
		return v.unavailable(c, err)
	}
	page := categoryPage{Title: titles[cat], EndsAt: p.Viewer.ExpiresAt.In(v.zone).Format("15:04"), Patient: v.banner(o), More: next != "",
		Section: section{Category: cat, Title: titles[cat]}}
	for _, e := range entries {
		page.Section.Items = append(page.Section.Items, v.item(e.Display))
	}
	return v.render(c, fiber.StatusOK, "category", page)
}

func (v *Viewer) finish(c *fiber.Ctx) error {
	if token := c.Cookies(cookieName); token != "" {
		if err := v.app.EndViewerSession(v.context(c), token); err != nil {
			return v.unavailable(c, err)
		}
	}
	v.clearCookie(c)
	return v.render(c, fiber.StatusOK, "ended", map[string]string{"Title": "Finished",
		"Message": "The session has ended and this record can no longer be viewed from this computer."})
}

func (v *Viewer) banner(p patient.Patient) patientBanner {
	b := patientBanner{Name: strings.TrimSpace(p.Name.Given + " " + p.Name.Family), NHS: formatNHS(p.NHSNumber.Value())}
	if b.Name == "" {
		b.Name = "Name not recorded"
	}
	if d, err := time.Parse(time.DateOnly, p.BirthDate.Value()); err == nil {
		b.BirthDate = d.Format("2 January 2006")
	}
	return b
}

func (v *Viewer) item(d record.Display) item {
	it := item{Text: d.Text, Status: d.Status}
	if !d.Date.IsZero() {
		it.Date = d.Date.In(v.zone).Format("2 Jan 2006")
	}
	return it
}

// formatNHS groups an NHS number 3-3-4, as printed on NHS documents.
func formatNHS(n string) string {
	if len(n) != 10 {
		return n
	}
	return n[:3] + " " + n[3:6] + " " + n[6:]
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
