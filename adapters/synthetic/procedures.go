package synthetic

import "time"

type procedurePerformer struct {
	Actor reference `json:"actor"`
}

type procedureResource struct {
	resource
	Status            string               `json:"status"`
	Code              concept              `json:"code"`
	Subject           reference            `json:"subject"`
	Encounter         *reference           `json:"encounter,omitempty"`
	PerformedDateTime string               `json:"performedDateTime"`
	Performer         []procedurePerformer `json:"performer,omitempty"`
	ReasonReference   []reference          `json:"reasonReference,omitempty"`
	Outcome           *concept             `json:"outcome,omitempty"`
}

// addProcedures adds the tests a clinician performs rather than a laboratory: a
// chest X-ray in A&E, which shows the pneumonia, and at the first review
// spirometry for asthma and an ECG for hypertension. They do not scale: a
// record with more encounters does not need more X-rays.
func (g *gen) addProcedures() {
	ae := g.ae
	g.procedure(ae, ae.start.Add(g.minutes(40, 90)), snomed("399208008", "Plain chest X-ray"),
		g.cond.pneumonia, "Right lower lobe consolidation, in keeping with pneumonia.")
	first := g.visitsOf(review)[0]
	if c := g.cond.asthma; c != nil {
		g.procedure(first, first.start.Add(g.minutes(5, 15)), snomed("127783003", "Spirometry"),
			c, "Mild obstruction, reversible with salbutamol.")
	}
	if c := g.cond.hypertension; c != nil {
		g.procedure(first, first.start.Add(g.minutes(5, 15)), snomed("29303009", "Electrocardiographic procedure"),
			c, "Sinus rhythm. No left ventricular hypertrophy.")
	}
}

func (g *gen) procedure(v *visit, t time.Time, c concept, reason *conditionResource, outcome string) {
	g.add(&procedureResource{
		resource:          g.start("Procedure", t),
		Status:            "completed",
		Code:              c,
		Subject:           g.patient,
		Encounter:         v.ref(),
		PerformedDateTime: instant(t),
		Performer:         []procedurePerformer{{Actor: *v.res.ServiceProvider}},
		ReasonReference:   []reference{reason.ref()},
		Outcome:           &concept{Text: outcome},
	})
}
