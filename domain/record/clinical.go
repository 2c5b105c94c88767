package record

// Section is where an entry stands in the clinical summary, which is shaped like
// the HL7 International Patient Summary. Sections are for reading; categories are
// what grants and share codes are scoped by, and every section lies inside one
// category (see Section.Category).
type Section string

const (
	SectionAllergies     Section = "allergies"
	SectionMedications   Section = "medications"
	SectionProblems      Section = "problems"
	SectionImmunizations Section = "immunizations"
	SectionResults       Section = "results" // laboratory results only
	SectionVitalSigns    Section = "vital-signs"
	// SectionObservations holds the Observations that are neither laboratory
	// results nor vital signs (social history, surveys, examination findings), so
	// a questionnaire score never reads as a result.
	SectionObservations Section = "observations"
	SectionProcedures   Section = "procedures"
	SectionEncounters   Section = "encounters"
	SectionCarePlans    Section = "care-plans"
	SectionDocuments    Section = "documents"
)

// Sections lists every section in the order a clinician reads them: allergies
// first.
var Sections = []Section{SectionAllergies, SectionMedications, SectionProblems, SectionImmunizations,
	SectionResults, SectionVitalSigns, SectionObservations, SectionProcedures, SectionEncounters,
	SectionCarePlans, SectionDocuments}

// sectionCategory is the category whose permission lets a reader see a section.
var sectionCategory = map[Section]Category{
	SectionAllergies: Allergies, SectionMedications: Medications, SectionProblems: Conditions,
	SectionImmunizations: Immunizations, SectionResults: Results, SectionVitalSigns: Vitals,
	SectionObservations: Results, SectionProcedures: Procedures, SectionEncounters: Encounters,
	SectionCarePlans: CarePlans, SectionDocuments: Documents,
}

// Category is the category a reader needs to see the section.
func (s Section) Category() Category { return sectionCategory[s] }

// KnownSection reports whether s is one of Sections.
func KnownSection(s Section) bool {
	_, ok := sectionCategory[s]
	return ok
}

// IsCurrentState says whether a section's items are a current state (what the
// patient is allergic to, takes, has now: active or not) or a history (results,
// immunizations, encounters: every valid item counts, newest first).
func (s Section) IsCurrentState() bool {
	switch s {
	case SectionAllergies, SectionMedications, SectionProblems, SectionCarePlans:
		return true
	}
	return false
}

// Clinical is what the summary needs of an entry, read from its resource when it
// is stored, so building a summary never opens a resource.
type Clinical struct {
	// Section is "" for resources no section shows (a Patient, a claim, a
	// Medication, which its prescriptions name).
	Section Section
	// Current is true for an active allergy (clinical status active or absent, not
	// refuted or entered in error), an active or on-hold medicine, an active,
	// recurring or relapsed problem, an active care plan; in a section of history,
	// for every item not entered in error, cancelled or not done.
	Current bool
	// Rank orders a section's current items before their date, lowest first:
	// allergies by criticality (high 0, unable-to-assess 1, none stated 2, low 3).
	Rank   int
	Detail Detail
}

// Detail is the clinical content a list shows beside an entry's text, so a
// hurried reader need not open the resource. Every field is optional.
type Detail struct {
	Criticality  string     // allergies: high, low, unable-to-assess
	Verification string     // allergies, problems: the verification status where it is not confirmed
	Reactions    []Reaction // allergies
	Dosage       string     // medicines: the dosage text, or "1 tablet, Oral, twice a day, as needed"
	// MedicationRef is the reference a medicine is named by ("Medication/12",
	// "urn:uuid:...") when the resource does not name it itself; ingest resolves it
	// within the delivery or the patient's record and sets the entry's text.
	MedicationRef  string
	Value          string // results, vital signs: "5.4 mmol/L", "Positive", "120/80 mmHg"
	ReferenceRange string // "3.5–5.3 mmol/L"
	Interpretation string // "High", "Low", "Abnormal"
}

// Reaction is one reaction an allergy caused.
type Reaction struct {
	Manifestations []string
	Severity       string // mild, moderate, severe
}

// IPSSection is how a section appears in an HL7 International Patient Summary
// document: its LOINC code and title. Sections the IPS has no place for
// (observations, encounters, documents) are not in it.
type IPSSection struct {
	Code, Title string
}

var ipsSections = map[Section]IPSSection{
	SectionAllergies:     {"48765-2", "Allergies and intolerances"},
	SectionMedications:   {"10160-0", "Medication summary"},
	SectionProblems:      {"11450-4", "Problem list"},
	SectionImmunizations: {"11369-6", "History of immunizations"},
	SectionResults:       {"30954-2", "Relevant diagnostic tests and laboratory data"},
	SectionVitalSigns:    {"8716-3", "Vital signs"},
	SectionProcedures:    {"47519-4", "History of procedures"},
	SectionCarePlans:     {"18776-5", "Plan of care"},
}

// IPS is the section's place in an IPS document; ok is false where it has none.
func (s Section) IPS() (IPSSection, bool) {
	x, ok := ipsSections[s]
	return x, ok
}
