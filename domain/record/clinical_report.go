package record

import "strings"

// diagnosticServiceSystem is HL7 v2 table 0074, the usual DiagnosticReport
// category ("LAB", "RAD"...).
const diagnosticServiceSystem = "http://terminology.hl7.org/CodeSystem/v2-0074"

// reportClinical is a DiagnosticReport: its value is what it concludes.
func reportClinical(res object) Clinical {
	c := historyItem(reportSection(res), res)
	c.Detail.Value = conclusion(res)
	return c
}

// reportSection: a laboratory report is a result. A report categorised by a
// LOINC document type (Synthea writes its clinical notes as reports of category
// 34117-2 "History and physical note") is a note, read among documents. Any
// other report (imaging, cardiology, no category) is a result, as the IPS
// results section holds imaging reports too.
func reportSection(res object) Section {
	note := false
	for _, cat := range jsonObjs(res, "category") {
		for _, c := range codingsOf(cat) {
			switch {
			case c.System == diagnosticServiceSystem && c.Code == "LAB",
				observationCategorySystems[c.System] && c.Code == "laboratory":
				return SectionResults
			case c.System == loincSystem:
				note = true
			}
		}
	}
	if note {
		return SectionDocuments
	}
	return SectionResults
}

// conclusion is the report's conclusion, else its coded conclusions in words.
func conclusion(res object) string {
	if t := jsonStr(res, "conclusion"); t != "" {
		return t
	}
	var parts []string
	for _, cc := range jsonObjs(res, "conclusionCode") {
		if t := conceptText(cc); t != "" {
			parts = append(parts, t)
		}
	}
	return strings.Join(parts, "; ")
}
