package synthetic

type repeat struct {
	Frequency  int     `json:"frequency"`
	Period     float64 `json:"period"`
	PeriodUnit string  `json:"periodUnit"`
}

type timing struct {
	Repeat repeat `json:"repeat"`
}

type doseAndRate struct {
	DoseQuantity quantity `json:"doseQuantity"`
}

type dosage struct {
	Text        string        `json:"text"`
	Timing      *timing       `json:"timing,omitempty"`
	AsNeeded    bool          `json:"asNeededBoolean"`
	Route       *concept      `json:"route,omitempty"`
	DoseAndRate []doseAndRate `json:"doseAndRate,omitempty"`
}

type dispenseRequest struct {
	NumberOfRepeatsAllowed int       `json:"numberOfRepeatsAllowed"`
	Quantity               quantity  `json:"quantity"`
	ExpectedSupplyDuration *quantity `json:"expectedSupplyDuration,omitempty"`
}

type medicationRequestResource struct {
	resource
	Status              string           `json:"status"`
	Intent              string           `json:"intent"`
	Category            []concept        `json:"category"`
	Medication          concept          `json:"medicationCodeableConcept"`
	Subject             reference        `json:"subject"`
	Encounter           *reference       `json:"encounter,omitempty"`
	AuthoredOn          string           `json:"authoredOn"`
	Requester           *reference       `json:"requester,omitempty"`
	ReasonReference     []reference      `json:"reasonReference,omitempty"`
	CourseOfTherapyType *concept         `json:"courseOfTherapyType,omitempty"`
	DosageInstruction   []dosage         `json:"dosageInstruction"`
	DispenseRequest     *dispenseRequest `json:"dispenseRequest,omitempty"`
}

type medicationStatementResource struct {
	resource
	Status            string     `json:"status"`
	Medication        concept    `json:"medicationCodeableConcept"`
	Subject           reference  `json:"subject"`
	EffectivePeriod   period     `json:"effectivePeriod"`
	DateAsserted      string     `json:"dateAsserted"`
	InformationSource *reference `json:"informationSource,omitempty"`
	Dosage            []dosage   `json:"dosage"`
}

// medicine is a repeat prescription: a dm+d product (dm+d codes are SNOMED CT
// identifiers, hence the SNOMED system), how to take it, and what one issue is.
type medicine struct {
	product concept
	dosage  dosage
	supply  quantity
	days    int
}

var (
	oralRoute  = snomed("26643006", "Oral route")
	salbutamol = medicine{
		product: snomed("39113611000001102", "Salbutamol 100micrograms/dose inhaler CFC free"),
		dosage: dosage{Text: "Two puffs up to four times a day when required for breathlessness", AsNeeded: true,
			DoseAndRate: []doseAndRate{{DoseQuantity: ucum(2, "puff", "{puff}")}}},
		supply: ucum(200, "dose", "{dose}"), days: 60,
	}
	beclometasone = medicine{
		product: snomed("10618211000001109", "Clenil Modulite 100micrograms/dose inhaler (Chiesi Ltd)"),
		dosage: dosage{Text: "Two puffs twice a day", Timing: &timing{Repeat: repeat{Frequency: 2, Period: 1, PeriodUnit: "d"}},
			DoseAndRate: []doseAndRate{{DoseQuantity: ucum(2, "puff", "{puff}")}}},
		supply: ucum(200, "dose", "{dose}"), days: 50,
	}
	amlodipine = medicine{
		product: snomed("319283006", "Amlodipine 5mg tablets"),
		dosage: dosage{Text: "One tablet once a day", Timing: &timing{Repeat: repeat{Frequency: 1, Period: 1, PeriodUnit: "d"}},
			Route: &oralRoute, DoseAndRate: []doseAndRate{{DoseQuantity: ucum(1, "tablet", "{tablet}")}}},
		supply: ucum(28, "tablet", "{tablet}"), days: 28,
	}
	paracetamol = medicine{
		product: snomed("322236009", "Paracetamol 500mg tablets"),
		dosage: dosage{Text: "One or two tablets up to four times a day when required for pain", AsNeeded: true,
			Route: &oralRoute, DoseAndRate: []doseAndRate{{DoseQuantity: ucum(2, "tablet", "{tablet}")}}},
	}
)

// addMedications adds the repeat prescriptions for the long-term conditions,
// authorised when treatment starts and re-authorised at each review since (the
// latest active, the earlier ones completed), and the paracetamol the patient
// buys over the counter and mentioned at a review.
func (g *gen) addMedications() {
	reviews := g.visitsOf(review)
	if c := g.cond.asthma; c != nil {
		g.prescribe(salbutamol, c, reviews)
		g.prescribe(beclometasone, c, reviews)
	}
	if c := g.cond.hypertension; c != nil {
		g.prescribe(amlodipine, c, reviews)
	}

	told := reviews[len(reviews)/2]
	res := &medicationStatementResource{
		resource:          g.start("MedicationStatement", told.end),
		Status:            "active",
		Medication:        paracetamol.product,
		Subject:           g.patient,
		EffectivePeriod:   period{Start: date(told.start.AddDate(-1, 0, 0))},
		DateAsserted:      instant(told.end),
		InformationSource: &g.patient,
		Dosage:            []dosage{paracetamol.dosage},
	}
	g.add(res)
	g.meds = append(g.meds, taking{told.start.AddDate(-1, 0, 0), paracetamol.product.Text + " (bought over the counter): " + paracetamol.dosage.Text})
}

// prescribe authorises m for c at every review. A condition is never diagnosed
// after the first review, so treatment covers them all.
func (g *gen) prescribe(m medicine, c *conditionResource, reviews []*visit) {
	var last *medicationRequestResource
	for _, v := range reviews {
		res := &medicationRequestResource{
			resource:            g.start("MedicationRequest", v.end),
			Status:              "completed",
			Intent:              "order",
			Category:            []concept{code("http://terminology.hl7.org/CodeSystem/medicationrequest-category", "community", "Community")},
			Medication:          m.product,
			Subject:             g.patient,
			Encounter:           v.ref(),
			AuthoredOn:          instant(v.end),
			Requester:           clinician(g.p.gp),
			ReasonReference:     []reference{c.ref()},
			CourseOfTherapyType: ptr(code("http://terminology.hl7.org/CodeSystem/medicationrequest-course-of-therapy", "continuous", "Continuous long term therapy")),
			DosageInstruction:   []dosage{m.dosage},
			DispenseRequest: &dispenseRequest{
				NumberOfRepeatsAllowed: 365/m.days - 1,
				Quantity:               m.supply,
				ExpectedSupplyDuration: ptr(ucum(float64(m.days), "days", "d")),
			},
		}
		g.add(res)
		last = res
	}
	last.Status = "active"
	g.meds = append(g.meds, taking{reviews[0].end, m.product.Text + ": " + m.dosage.Text})
}
