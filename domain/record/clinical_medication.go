package record

import "strings"

// currentMedicationStatuses are the statuses in which a medicine is taken now.
// An administration or a dispense records what was given once, so none is
// current; a request without a status (R4 requires one) is not either.
var currentMedicationStatuses = map[string]map[string]bool{
	"MedicationRequest":   {"active": true, "on-hold": true},
	"MedicationStatement": {"active": true, "intended": true, "on-hold": true},
}

// medicationClinical reads the medicines of one resource type.
func medicationClinical(resourceType string) func(res object) Clinical {
	current := currentMedicationStatuses[resourceType]
	return func(res object) Clinical {
		c := Clinical{Section: SectionMedications, Current: current[jsonStr(res, "status")],
			Detail: Detail{Dosage: dosageText(res)}}
		// A reference to a contained Medication is resolved here (see
		// medicationByReferenceLabel); only one outside the resource is left to ingest.
		if ref := jsonStr(jsonObj(res, "medicationReference"), "reference"); !strings.HasPrefix(ref, "#") {
			c.Detail.MedicationRef = ref
		}
		return c
	}
}

// medicationByReferenceLabel names a medicine given by reference: the
// Medication the resource contains, else the reference's display, else a label
// saying the name is elsewhere, which ingest replaces when it resolves the
// reference.
func medicationByReferenceLabel(res, ref object) string {
	if id, contained := strings.CutPrefix(jsonStr(ref, "reference"), "#"); contained {
		for _, c := range jsonObjs(res, "contained") {
			if jsonStr(c, "resourceType") == "Medication" && jsonStr(c, "id") == id {
				if t := conceptText(jsonObj(c, "code")); t != "" {
					return t
				}
			}
		}
	}
	if t := jsonStr(ref, "display"); t != "" {
		return t
	}
	return "Medicine (named by reference)"
}
