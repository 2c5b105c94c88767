package web

import (
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kith-health/kith/app"
	"github.com/kith-health/kith/domain/fault"
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

// titles name the summary's sections as a UK clinician reads them.
var titles = map[record.Section]string{
	record.SectionAllergies: "Allergies", record.SectionMedications: "Medications", record.SectionProblems: "Problems",
	record.SectionImmunizations: "Immunisations", record.SectionResults: "Results", record.SectionVitalSigns: "Vital signs",
	record.SectionObservations: "Other observations", record.SectionProcedures: "Procedures",
	record.SectionEncounters: "Encounters", record.SectionCarePlans: "Care plans", record.SectionDocuments: "Documents",
}

// sectionAliases keep the category pages' old addresses working where a section
// took another name.
var sectionAliases = map[string]record.Section{"conditions": record.SectionProblems, "vitals": record.SectionVitalSigns}

// historyShown is how many of a history section's items (results, encounters...)
// the summary lists before "Show all": the newest are what a hurried reader needs.
const historyShown = 10

// pageSize is how many entries a section page lists.
const pageSize = 50

type patientBanner struct{ Name, NHS, BirthDate string }

// item is one entry as a list or table row shows it, every detail already words.
type item struct {
	Text, Status, Date, DateTime string
	// Mismatch: the entry came from an upload about someone else.
	Mismatch bool
	// Allergies.
	Criticality  string
	Critical     bool // high criticality, shown emphasised
	Reactions    []string
	Verification string
	// Medicines.
	Dosage string
	// Results, vital signs, observations.
	Value, Range, Interpretation string
	Abnormal                     bool // an interpretation other than normal, marked in words
}

// layout says which columns a section's rows have.
type layout string

const (
	layoutAllergy    layout = "allergy"
	layoutMedication layout = "medication"
	layoutProblem    layout = "problem"
	layoutMeasure    layout = "measure"
	layoutPlain      layout = "plain"
)

func layoutOf(s record.Section) layout {
	switch s {
	case record.SectionAllergies:
		return layoutAllergy
	case record.SectionMedications:
		return layoutMedication
	case record.SectionProblems:
		return layoutProblem
	case record.SectionResults, record.SectionVitalSigns, record.SectionObservations:
		return layoutMeasure
	}
	return layoutPlain
}

type link struct{ Href, Text string }

// sectionView is one shared section of the summary page.
type sectionView struct {
	ID, Title, Counts, Caption string
	Layout                     layout
	Items                      []item
	All, Past                  *link
}

type recordPage struct {
	Title, Label, EndsAt string
	Patient              patientBanner
	// Clinical is the summary as the "clinical" template renders it.
	Clinical template.HTML
}

// clinicalPart is what the "clinical" template renders: the summary alone, so the
// rendering of one summary Version serves every page that shows it.
type clinicalPart struct {
	Allergies sectionView
	Sections  []sectionView
	NotShared []string
}

func (v *Viewer) record(c *fiber.Ctx) error {
	p, ok, err := v.session(c)
	if !ok {
		return err
	}
	o, err := v.app.SharedRecordOverview(v.context(c), p)
	if errors.Is(err, fault.ErrNotFound) {
		return v.shareEnded(c)
	}
	if err != nil {
		return v.unavailable(c, err)
	}
	clinical, err := v.clinical(o.Summary)
	if err != nil {
		return err
	}
	return v.render(c, fiber.StatusOK, "record", recordPage{Title: "Shared record", Label: o.Label,
		EndsAt: o.ExpiresAt.In(v.zone).Format("15:04"), Patient: v.banner(o.Patient), Clinical: clinical})
}

// clinical renders the summary's sections, or finds them rendered for the same
// Version: rendering was half of a page's time.
func (v *Viewer) clinical(s record.Summary) (template.HTML, error) {
	if s.Version != "" {
		if html, ok := v.rendered.Get(s.Version); ok {
			return html, nil
		}
	}
	var part clinicalPart
	for _, sec := range s.Sections {
		switch {
		case !sec.Shared:
			part.NotShared = append(part.NotShared, titles[sec.Section])
		case sec.Section == record.SectionAllergies:
			part.Allergies = v.summarySection(sec)
		default:
			part.Sections = append(part.Sections, v.summarySection(sec))
		}
	}
	var b strings.Builder
	if err := v.pages["record"].ExecuteTemplate(&b, "clinical", part); err != nil {
		return "", err
	}
	// html/template escaped every value as it rendered the fragment.
	html := template.HTML(b.String())
	if s.Version != "" {
		v.rendered.Add(s.Version, html)
	}
	return html, nil
}

// summarySection is a section as the summary shows it: its counts in the heading,
// its current items (a history's newest few), and links to the rest; items not
// current only ever behind their own link.
func (v *Viewer) summarySection(s record.SectionSummary) sectionView {
	sec := s.Section
	view := sectionView{ID: "s-" + string(sec), Title: titles[sec], Layout: layoutOf(sec), Counts: counts(s)}
	items := s.Items
	if !sec.IsCurrentState() && len(items) > historyShown {
		items = items[:historyShown]
	}
	for _, e := range items {
		view.Items = append(view.Items, v.item(e))
	}
	if sec.IsCurrentState() {
		view.Caption = titles[sec] + ", active, most important first"
	} else {
		view.Caption = titles[sec] + ", newest first"
	}
	if s.Current > len(view.Items) {
		view.All = &link{Href: sectionHref(sec, app.StateCurrent), Text: fmt.Sprintf("Show all %s %s", number(s.Current), strings.ToLower(titles[sec]))}
		if sec.IsCurrentState() {
			view.All.Text = fmt.Sprintf("Show all %s active %s", number(s.Current), strings.ToLower(titles[sec]))
		}
	}
	if s.Past > 0 {
		view.Past = &link{Href: sectionHref(sec, app.StatePast), Text: fmt.Sprintf("Show %s inactive", number(s.Past))}
		if !sec.IsCurrentState() {
			view.Past.Text = fmt.Sprintf("Show %s entered in error or not current", number(s.Past))
		}
	}
	return view
}

// counts is a section's heading's count in plain words: "11 active, 50 inactive"
// for what the patient has now, the number of items for a history.
func counts(s record.SectionSummary) string {
	if s.Current == 0 && s.Past == 0 {
		return ""
	}
	if !s.Section.IsCurrentState() {
		return number(s.Current)
	}
	words := number(s.Current) + " active"
	if s.Past > 0 {
		words += ", " + number(s.Past) + " inactive"
	}
	return words
}

func sectionHref(s record.Section, state app.EntryState) string {
	if state == app.StatePast {
		return "/view/record/" + string(s) + "?state=past"
	}
	return "/view/record/" + string(s)
}

type sectionPage struct {
	Title, Heading, Caption, EndsAt, Empty string
	Patient                                patientBanner
	Layout                                 layout
	Items                                  []item
	Next, Other                            *link
}

// section lists one section's current or past entries, a page at a time, with the
// state's true count in the heading whatever the page.
func (v *Viewer) section(c *fiber.Ctx) error {
	name := strings.Clone(c.Params("category"))
	if s, ok := sectionAliases[name]; ok {
		return c.Redirect(sectionHref(s, app.StateCurrent), fiber.StatusMovedPermanently)
	}
	sec := record.Section(name)
	state := app.EntryState(strings.Clone(c.Query("state", string(app.StateCurrent))))
	n, err := strconv.Atoi(c.Query("page", "1"))
	if !record.KnownSection(sec) || (state != app.StateCurrent && state != app.StatePast) || err != nil || n < 1 {
		return v.notFound(c)
	}
	p, ok, err := v.session(c)
	if !ok {
		return err
	}
	cursor := strings.Clone(c.Query("cursor"))
	if (cursor == "") != (n == 1) {
		return v.notFound(c)
	}
	res, err := v.app.SharedSection(v.context(c), p, app.SharedSectionQuery{Section: sec, State: state, Cursor: cursor, Limit: pageSize})
	switch {
	case errors.Is(err, fault.ErrForbidden):
		return v.render(c, fiber.StatusForbidden, "ended", map[string]string{"Title": titles[sec] + ": not shared by the patient",
			"Message": "The patient did not share this part of their record with this code.", "Back": "yes"})
	case errors.Is(err, fault.ErrNotFound):
		return v.shareEnded(c)
	case errors.Is(err, fault.ErrInvalid):
		return v.notFound(c) // a cursor that is not one of ours
	case err != nil:
		return v.unavailable(c, err)
	}
	total, what := res.Section.Current, strings.ToLower(titles[sec])
	page := sectionPage{Title: titles[sec], EndsAt: res.ExpiresAt.In(v.zone).Format("15:04"), Patient: v.banner(res.Patient),
		Layout: layoutOf(sec), Empty: "None recorded."}
	switch {
	case state == app.StatePast && sec.IsCurrentState():
		total, page.Title = res.Section.Past, "Inactive "+what
		page.Empty = "No inactive " + what + "."
		page.Other = &link{Href: sectionHref(sec, app.StateCurrent), Text: "Show active " + what}
	case state == app.StatePast:
		total, page.Title = res.Section.Past, titles[sec]+" entered in error or not current"
		page.Empty = "None."
		page.Other = &link{Href: sectionHref(sec, app.StateCurrent), Text: "Show current " + what}
	case sec.IsCurrentState():
		page.Title = "Active " + what
	}
	if state == app.StateCurrent && res.Section.Past > 0 {
		page.Other = &link{Href: sectionHref(sec, app.StatePast), Text: fmt.Sprintf("Show %s inactive", number(res.Section.Past))}
		if !sec.IsCurrentState() {
			page.Other.Text = fmt.Sprintf("Show %s entered in error or not current", number(res.Section.Past))
		}
	}
	page.Heading = fmt.Sprintf("%s (%s)", page.Title, number(total))
	page.Caption = page.Title + ", newest first"
	if n > 1 {
		page.Heading += fmt.Sprintf(" — page %d", n)
		page.Caption += fmt.Sprintf(", page %d", n)
		page.Title += fmt.Sprintf(", page %d", n)
	}
	for _, e := range res.Entries {
		page.Items = append(page.Items, v.item(e))
	}
	if res.Next != "" {
		q := url.Values{"cursor": {res.Next}, "page": {strconv.Itoa(n + 1)}}
		if state == app.StatePast {
			q.Set("state", string(state))
		}
		page.Next = &link{Href: "/view/record/" + string(sec) + "?" + q.Encode(), Text: "Next page"}
	}
	return v.render(c, fiber.StatusOK, "section", page)
}

func (v *Viewer) shareEnded(c *fiber.Ctx) error {
	v.clearCookie(c)
	return v.ended(c, "This share has ended", "The patient has cancelled this share code, or it has expired. Nothing more can be shown.")
}

func (v *Viewer) notFound(c *fiber.Ctx) error {
	return v.render(c, fiber.StatusNotFound, "ended", map[string]string{"Title": "Not found", "Message": "There is no such part of a record."})
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
