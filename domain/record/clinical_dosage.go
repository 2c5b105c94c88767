package record

import "strings"

// dosageText is how a medicine is taken: each dosage instruction (a request's
// or dispense's dosageInstruction, a statement's or administration's dosage)
// as its text, else built from its parts, joined by "; ".
func dosageText(res object) string {
	var parts []string
	for _, key := range []string{"dosageInstruction", "dosage"} {
		for _, d := range jsonObjs(res, key) {
			if t := oneDosage(d); t != "" {
				parts = append(parts, t)
			}
		}
	}
	return strings.Join(parts, "; ")
}

// oneDosage prefers the prescriber's own words; the structured parts give
// "1 tablet, Oral, twice a day, as needed".
func oneDosage(d object) string {
	if t := strings.TrimSpace(jsonStr(d, "text")); t != "" {
		return t
	}
	var parts []string
	for _, p := range []string{doseText(d), conceptText(jsonObj(d, "route")),
		timingText(jsonObj(d, "timing")), asNeededText(d)} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, ", ")
}

// doseText is the dose: an administration's dose, else the first dose quantity
// or range of a dosage.
func doseText(d object) string {
	if t := quantityText(jsonObj(d, "dose")); t != "" {
		return t
	}
	for _, dr := range jsonObjs(d, "doseAndRate") {
		if t := quantityText(jsonObj(dr, "doseQuantity")); t != "" {
			return t
		}
		if t := rangeText(jsonObj(dr, "doseRange")); t != "" {
			return t
		}
	}
	return ""
}

// periodUnits are the UCUM units of Timing.repeat.periodUnit, as "once a day"
// and "every 8 hours" say them.
var periodUnits = map[string]struct{ per, plural string }{
	"s": {"a second", "seconds"}, "min": {"a minute", "minutes"}, "h": {"an hour", "hours"},
	"d": {"a day", "days"}, "wk": {"a week", "weeks"}, "mo": {"a month", "months"}, "a": {"a year", "years"},
}

// timingText is a timing's code as its text or display, else its repeat: "once a day", "3 times a day", "every 8 hours", "2 times every 3 days".
// A repeat without a frequency happens once a period.
func timingText(timing object) string {
	if t := conceptText(jsonObj(timing, "code")); t != "" {
		return t
	}
	repeat := jsonObj(timing, "repeat")
	unit, known := periodUnits[jsonStr(repeat, "periodUnit")]
	period, _ := jsonNum(repeat, "period")
	if !known || period <= 0 {
		return ""
	}
	freq, _ := jsonNum(repeat, "frequency")
	if freq <= 0 {
		freq = 1
	}
	switch {
	case period == 1 && freq == 1:
		return "once " + unit.per
	case period == 1 && freq == 2:
		return "twice " + unit.per
	case period == 1:
		return number(freq) + " times " + unit.per
	case freq == 1:
		return "every " + number(period) + " " + unit.plural
	}
	return number(freq) + " times every " + number(period) + " " + unit.plural
}

func asNeededText(d object) string {
	if cc := jsonObj(d, "asNeededCodeableConcept"); cc != nil {
		if t := conceptText(cc); t != "" {
			return "as needed for " + t
		}
		return "as needed"
	}
	if b, _ := jsonBool(d, "asNeededBoolean"); b {
		return "as needed"
	}
	return ""
}
