package record

import "strings"

const (
	loincSystem          = "http://loinc.org"
	interpretationSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
)

// observationClinical places an Observation by its category: vital signs, then
// laboratory results; every other observation (survey, social history, exam,
// none) is kept apart, so a questionnaire score never reads as a result.
func observationClinical(res object) Clinical {
	c := historyItem(observationSection(res), res)
	c.Detail = Detail{Value: observationValue(res), ReferenceRange: referenceRange(res),
		Interpretation: interpretation(res)}
	return c
}

func observationSection(res object) Section {
	section := SectionObservations
	for _, cat := range jsonObjs(res, "category") {
		for _, c := range codingsOf(cat) {
			if !observationCategorySystems[c.System] {
				continue
			}
			switch c.Code {
			case "vital-signs":
				return SectionVitalSigns // as CategoryOf: a vital sign is one, whatever else it is
			case "laboratory":
				section = SectionResults
			}
		}
	}
	return section
}

// observationValue is the observation's own value, else its components'. An
// observation whose value is absent (dataAbsentReason) has none to show.
func observationValue(res object) string {
	if v := valueText(res); v != "" {
		return v
	}
	return componentsText(jsonObjs(res, "component"))
}

// valueText is the value[x] of an observation or a component.
func valueText(m object) string {
	if q := jsonObj(m, "valueQuantity"); q != nil {
		return quantityText(q)
	}
	if cc := jsonObj(m, "valueCodeableConcept"); cc != nil {
		return conceptText(cc)
	}
	if b, ok := jsonBool(m, "valueBoolean"); ok {
		if b {
			return "Yes"
		}
		return "No"
	}
	if r := jsonObj(m, "valueRange"); r != nil {
		return rangeText(r)
	}
	if r := jsonObj(m, "valueRatio"); r != nil {
		return ratioText(r)
	}
	if p := jsonObj(m, "valuePeriod"); p != nil {
		return periodText(p)
	}
	if n := numberText(m, "valueInteger"); n != "" {
		return n
	}
	for _, key := range []string{"valueString", "valueDateTime", "valueTime"} {
		if s := jsonStr(m, key); s != "" {
			return s
		}
	}
	return ""
}

// componentsText is a blood pressure as it is always written, "120/80 mmHg";
// any other components as "Label: value; Label: value".
func componentsText(components []object) string {
	if bp := bloodPressure(components); bp != "" {
		return bp
	}
	var parts []string
	for _, c := range components {
		v := valueText(c)
		if v == "" {
			continue
		}
		if label := conceptText(jsonObj(c, "code")); label != "" {
			v = label + ": " + v
		}
		parts = append(parts, v)
	}
	return strings.Join(parts, "; ")
}

// bloodPressure is "systolic/diastolic unit" when both LOINC components
// (8480-6, 8462-4) have a value, in whichever order they came.
func bloodPressure(components []object) string {
	var systolic, diastolic object
	for _, c := range components {
		for _, code := range codingsOf(jsonObj(c, "code")) {
			switch {
			case code.System != loincSystem:
			case code.Code == "8480-6":
				systolic = jsonObj(c, "valueQuantity")
			case code.Code == "8462-4":
				diastolic = jsonObj(c, "valueQuantity")
			}
		}
	}
	s, d := numberText(systolic, "value"), numberText(diastolic, "value")
	if s == "" || d == "" {
		return ""
	}
	return withUnit(s+"/"+d, quantityUnit(systolic))
}

// referenceRange is the first reference range, as its text or its bounds.
func referenceRange(res object) string {
	ranges := jsonObjs(res, "referenceRange")
	if len(ranges) == 0 {
		return ""
	}
	if t := jsonStr(ranges[0], "text"); t != "" {
		return t
	}
	return rangeText(ranges[0])
}

// interpretationWords say the common HL7 interpretation codes in words, for
// sources that send the code alone.
var interpretationWords = map[string]string{
	"H": "High", "L": "Low", "HH": "Critically high", "LL": "Critically low",
	"A": "Abnormal", "AA": "Critically abnormal", "N": "Normal",
	"POS": "Positive", "NEG": "Negative",
}

// interpretation is the first interpretation in words.
func interpretation(res object) string {
	all := jsonObjs(res, "interpretation")
	if len(all) == 0 {
		return ""
	}
	if t := conceptText(all[0]); t != "" {
		return t
	}
	for _, c := range codingsOf(all[0]) {
		if c.System == interpretationSystem || c.System == "" {
			if w := interpretationWords[c.Code]; w != "" {
				return w
			}
		}
	}
	return ""
}
