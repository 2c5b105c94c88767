package record

import (
	"strings"
	"time"
	"unicode"
)

// personTypes are the resources whose display is a person's name. Names are
// personal data; the record shows them only to readers already allowed to see it.
var personTypes = map[string]bool{"Patient": true, "RelatedPerson": true,
	"Practitioner": true, "Person": true}

// displayConcepts are the CodeableConcepts that name what a resource is, in the
// order tried.
var displayConcepts = []string{"code", "medicationCodeableConcept", "vaccineCode",
	"type", "description"}

// displayDates are the elements holding a resource's clinically relevant date, in
// the order tried; "x.y" reads y inside x.
var displayDates = []string{
	"effectiveDateTime", "effectivePeriod.start", "effectiveInstant",
	"onsetDateTime", "onsetPeriod.start",
	"occurrenceDateTime", "performedDateTime", "performedPeriod.start",
	"authoredOn", "recordedDate", "issued", "period.start", "date", "created",
	"birthDate", "meta.lastUpdated",
}

// DisplayOf is what a list shows of a resource without opening it: what it is
// (the code's text or display, a medication, vaccine or type, a title or name;
// a readable label of its type when nothing better is found), its status
// (clinical status, else status) and its clinically relevant date with its
// precision (zero when none parses).
func DisplayOf(resourceType string, raw []byte) Display {
	return withObject(raw, func(res object) Display { return displayOf(resourceType, res) })
}

func displayOf(resourceType string, res object) Display {
	d := Display{Text: displayText(resourceType, res)}
	d.Date, d.DatePrecision = displayDate(res)
	if cs := codingsOf(jsonObj(res, "clinicalStatus")); len(cs) > 0 {
		d.Status = cs[0].Code
	}
	if d.Status == "" {
		d.Status = jsonStr(res, "status")
	}
	return d
}

func displayText(resourceType string, res object) string {
	if personTypes[resourceType] {
		if n := personName(jsonObjs(res, "name")); n != "" {
			return n
		}
	}
	for _, key := range displayConcepts {
		for _, cc := range jsonObjs(res, key) {
			if t := conceptText(cc); t != "" {
				return t
			}
		}
	}
	if ref := jsonObj(res, "medicationReference"); ref != nil {
		return medicationByReferenceLabel(res, ref)
	}
	if t := jsonStr(jsonObj(res, "class"), "display"); t != "" {
		return t
	}
	for _, key := range []string{"title", "description", "name"} {
		if t := jsonStr(res, key); t != "" {
			return t
		}
	}
	if resourceType == "CarePlan" {
		if t := carePlanLabel(res); t != "" {
			return t
		}
	}
	return typeLabel(resourceType)
}

// typeLabels name the types a split of the type name would leave unclear to a
// patient: "Claim" alone could be anything.
var typeLabels = map[string]string{
	"Claim":      "Insurance claim",
	"Provenance": "Provenance record",
}

// typeLabel names a resource with nothing better to show by its type, in words
// with only the first capitalised ("MedicationStatement" is "Medication
// statement"), since a list of bare type names reads as a system error.
func typeLabel(resourceType string) string {
	if l, ok := typeLabels[resourceType]; ok {
		return l
	}
	var b strings.Builder
	for i, r := range resourceType {
		if i > 0 && unicode.IsUpper(r) {
			b.WriteByte(' ')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// carePlanLabel names an untitled care plan by its category ("Care plan:
// Asthma self management"), as Synthea's plans are; a category that already
// says it is a plan ("Cancer care plan") stands alone.
func carePlanLabel(res object) string {
	for _, cc := range jsonObjs(res, "category") {
		t := conceptText(cc)
		switch {
		case t == "":
		case strings.Contains(strings.ToLower(t), "plan"):
			return t
		default:
			return "Care plan: " + t
		}
	}
	return ""
}

// personName is "given family" of the official name, else the usual one, else
// the first; a name's text when it has no parts.
func personName(names []object) string {
	if len(names) == 0 {
		return ""
	}
	pick := names[0]
	if n := nameWithUse(names, "official"); n != nil {
		pick = n
	} else if n := nameWithUse(names, "usual"); n != nil {
		pick = n
	}
	var parts []string
	for _, g := range jsonStrs(pick, "given") {
		if g != "" {
			parts = append(parts, g)
		}
	}
	if f := jsonStr(pick, "family"); f != "" {
		parts = append(parts, f)
	}
	if len(parts) == 0 {
		return jsonStr(pick, "text")
	}
	return strings.Join(parts, " ")
}

func nameWithUse(names []object, use string) object {
	for _, n := range names {
		if jsonStr(n, "use") == use {
			return n
		}
	}
	return nil
}

func displayDate(res object) (time.Time, DatePrecision) {
	for _, path := range displayDates {
		m, key := res, path
		if parent, child, nested := strings.Cut(path, "."); nested {
			m, key = jsonObj(res, parent), child
		}
		if t, p, ok := ParseFHIRDate(jsonStr(m, key)); ok {
			return t, p
		}
	}
	return time.Time{}, ""
}

// fhirLayouts are the forms of FHIR date, dateTime and instant, with the
// precision each gives: partial dates stand for their first moment. A time
// without a zone is not valid FHIR but turns up; it is read as UTC rather than
// dropped.
var fhirLayouts = []struct {
	layout    string
	precision DatePrecision
}{
	{time.RFC3339Nano, PrecisionTime},
	{"2006-01-02T15:04:05.999999999", PrecisionTime},
	{"2006-01-02", PrecisionDay},
	{"2006-01", PrecisionMonth},
	{"2006", PrecisionYear},
}

// ParseFHIRTime reads a FHIR date (YYYY, YYYY-MM, YYYY-MM-DD), dateTime or
// instant as UTC truncated to milliseconds, the precision stores keep.
func ParseFHIRTime(s string) (time.Time, bool) {
	t, _, ok := ParseFHIRDate(s)
	return t, ok
}

// ParseFHIRDate is ParseFHIRTime that also says how much of the date s gave,
// so "2004" can be shown as a year rather than as 1 January 2004.
func ParseFHIRDate(s string) (time.Time, DatePrecision, bool) {
	if s == "" {
		return time.Time{}, "", false
	}
	for _, f := range fhirLayouts {
		if t, err := time.Parse(f.layout, s); err == nil {
			return t.UTC().Truncate(time.Millisecond), f.precision, true
		}
	}
	return time.Time{}, "", false
}
