package web

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// The viewer puts every detail into words here, so a page needs nothing opened to
// be read.

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

// item puts an entry's details into words, so nothing needs opening to be read.
func (v *Viewer) item(e record.Entry) item {
	d, x := e.Display, e.Clinical.Detail
	it := item{Text: d.Text, Status: words(d.Status), Mismatch: slices.Contains(e.Flags, record.IdentityMismatch),
		Verification: words(x.Verification), Dosage: x.Dosage, Value: x.Value, Range: x.ReferenceRange,
		Interpretation: x.Interpretation}
	it.Date, it.DateTime = v.date(d.Date, d.DatePrecision)
	switch x.Criticality {
	case "":
	case "high":
		it.Criticality, it.Critical = "High criticality", true
	case "unable-to-assess":
		it.Criticality = "Criticality unable to assess"
	default:
		it.Criticality = words(x.Criticality) + " criticality"
	}
	for _, r := range x.Reactions {
		text := strings.Join(r.Manifestations, ", ")
		if text == "" {
			text = "Reaction"
		}
		if r.Severity != "" {
			text += " (" + r.Severity + ")"
		}
		it.Reactions = append(it.Reactions, text)
	}
	it.Abnormal = x.Interpretation != "" && !strings.EqualFold(x.Interpretation, "normal")
	return it
}

// date shows a date as precisely as its source gave it ("2004", "Mar 2004",
// "2 Mar 2004"; a time in the viewer's zone), with its machine-readable form. A
// date without a time is a calendar date, never moved by a time zone.
func (v *Viewer) date(t time.Time, p record.DatePrecision) (shown, machine string) {
	if t.IsZero() {
		return "", ""
	}
	switch p {
	case record.PrecisionYear:
		return t.UTC().Format("2006"), t.UTC().Format("2006")
	case record.PrecisionMonth:
		return t.UTC().Format("Jan 2006"), t.UTC().Format("2006-01")
	case record.PrecisionTime:
		local := t.In(v.zone)
		return local.Format("2 Jan 2006, 15:04"), local.Format(time.RFC3339)
	}
	return t.UTC().Format("2 Jan 2006"), t.UTC().Format(time.DateOnly)
}

// words turns a FHIR code ("entered-in-error") into words ("Entered in error").
func words(code string) string {
	if code == "" {
		return ""
	}
	w := strings.ReplaceAll(code, "-", " ")
	return strings.ToUpper(w[:1]) + w[1:]
}

// number writes a count with thousands separators: 1,039.
func number(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0 && s[i-1] != '-'; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
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
