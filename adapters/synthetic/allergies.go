package synthetic

type reaction struct {
	Manifestation []concept `json:"manifestation"`
	Description   string    `json:"description,omitempty"`
	Severity      string    `json:"severity,omitempty"`
}

type allergyResource struct {
	resource
	ClinicalStatus     concept    `json:"clinicalStatus"`
	VerificationStatus concept    `json:"verificationStatus"`
	Type               string     `json:"type"`
	Category           []string   `json:"category"`
	Criticality        string     `json:"criticality"`
	Code               concept    `json:"code"`
	Patient            reference  `json:"patient"`
	OnsetDateTime      string     `json:"onsetDateTime,omitempty"`
	RecordedDate       string     `json:"recordedDate"`
	Recorder           *reference `json:"recorder,omitempty"`
	Reaction           []reaction `json:"reaction"`
}

// addAllergies adds a penicillin allergy, found in childhood: the record's
// prescribers work around it, and the discharge letter says so.
func (g *gen) addAllergies() {
	onset := midnight(g.between(g.in.birth.AddDate(1, 0, 0), g.in.birth.AddDate(12, 0, 0)))
	onset = earlier(onset, g.from)
	res := &allergyResource{
		resource:           g.start("AllergyIntolerance", onset),
		ClinicalStatus:     code("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
		VerificationStatus: code("http://terminology.hl7.org/CodeSystem/allergyintolerance-verification", "confirmed", "Confirmed"),
		Type:               "allergy",
		Category:           []string{"medication"},
		Criticality:        "low",
		Code:               snomed("91936005", "Allergy to penicillin"),
		Patient:            g.patient,
		OnsetDateTime:      date(onset),
		RecordedDate:       date(onset),
		Reaction: []reaction{{
			Manifestation: []concept{snomed("126485001", "Urticaria")},
			Description:   "Itchy raised rash the day after starting amoxicillin",
			Severity:      "moderate",
		}},
	}
	g.add(res)
}
