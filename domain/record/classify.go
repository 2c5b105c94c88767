package record

// categoryByType places each resource type that has one obvious category.
// Observation is decided by its own category (see CategoryOf); every type not
// listed is administrative.
//
// Beyond the obvious, a few clinical types are placed where a patient would look
// for them, rather than left in administrative, which grants scope widely:
// FamilyMemberHistory with conditions, ImmunizationEvaluation with immunizations,
// QuestionnaireResponse and MolecularSequence with results (Observations of
// questionnaires and genetics land there too), DocumentManifest and Binary (in
// practice a document's content) with documents.
var categoryByType = map[string]Category{
	"Patient":       Demographics,
	"RelatedPerson": Demographics,

	"AllergyIntolerance": Allergies,

	"Medication":               Medications,
	"MedicationRequest":        Medications,
	"MedicationStatement":      Medications,
	"MedicationAdministration": Medications,
	"MedicationDispense":       Medications,

	"Condition":           Conditions,
	"FamilyMemberHistory": Conditions,

	"Immunization":               Immunizations,
	"ImmunizationRecommendation": Immunizations,
	"ImmunizationEvaluation":     Immunizations,

	"DiagnosticReport":      Results,
	"ImagingStudy":          Results,
	"Specimen":              Results,
	"QuestionnaireResponse": Results,
	"MolecularSequence":     Results,

	"Encounter":     Encounters,
	"EpisodeOfCare": Encounters,

	"Procedure": Procedures,

	"DocumentReference": Documents,
	"DocumentManifest":  Documents,
	"Composition":       Documents,
	"Binary":            Documents,
	"Media":             Documents,

	"CarePlan":       CarePlans,
	"CareTeam":       CarePlans,
	"Goal":           CarePlans,
	"ServiceRequest": CarePlans,
}

// Observation category codes live in this system (R4); the STU3 URL still turns
// up in data converted from older feeds.
var observationCategorySystems = map[string]bool{
	"http://terminology.hl7.org/CodeSystem/observation-category": true,
	"http://hl7.org/fhir/observation-category":                   true,
}

// CategoryOf is the category a resource is granted and shared by. Only an
// Observation needs its content read: it is a vital sign when any of its
// categories is vital-signs, and a result otherwise (laboratory, imaging, survey,
// social-history, none...).
func CategoryOf(resourceType string, raw []byte) Category {
	if resourceType != "Observation" {
		return categoryOf(resourceType, nil)
	}
	return withObject(raw, func(res object) Category {
		return categoryOf(resourceType, func() object { return res })
	})
}

// categoryOf parses the resource (res) only for an Observation.
func categoryOf(resourceType string, res func() object) Category {
	if resourceType == "Observation" {
		if isVitalSign(res()) {
			return Vitals
		}
		return Results
	}
	if c, ok := categoryByType[resourceType]; ok {
		return c
	}
	return Administrative
}

func isVitalSign(res object) bool {
	for _, cat := range jsonObjs(res, "category") {
		for _, c := range codingsOf(cat) {
			if c.Code == "vital-signs" && observationCategorySystems[c.System] {
				return true
			}
		}
	}
	return false
}
