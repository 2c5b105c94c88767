package synthetic

import "time"

type conditionResource struct {
	resource
	ClinicalStatus     concept    `json:"clinicalStatus"`
	VerificationStatus concept    `json:"verificationStatus"`
	Category           []concept  `json:"category"`
	Code               concept    `json:"code"`
	Subject            reference  `json:"subject"`
	Encounter          *reference `json:"encounter,omitempty"`
	OnsetDateTime      string     `json:"onsetDateTime,omitempty"`
	AbatementDateTime  string     `json:"abatementDateTime,omitempty"`
	RecordedDate       string     `json:"recordedDate"`
	Recorder           *reference `json:"recorder,omitempty"`
}

// conditions are the record's Conditions that other resources point at (nil when
// the patient does not have it).
type conditions struct {
	asthma, hypertension, rhinitis, pneumonia, depression *conditionResource
}

const (
	sysConditionClinical     = "http://terminology.hl7.org/CodeSystem/condition-clinical"
	sysConditionVerification = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
	sysConditionCategory     = "http://terminology.hl7.org/CodeSystem/condition-category"
)

var (
	problemList = []concept{code(sysConditionCategory, "problem-list-item", "Problem List Item")}
	diagnosisAt = []concept{code(sysConditionCategory, "encounter-diagnosis", "Encounter Diagnosis")}

	// psy labels the record's one sensitive item: mental health information,
	// which Kith discloses only where a grant or share includes sensitive data.
	psy = coding{System: sysActCode, Code: "PSY", Display: "psychiatry disorder information sensitivity"}
)

// addConditions adds the long-term conditions of the profile, the pneumonia the
// A&E attendance is for, and a depressive disorder diagnosed at a GP appointment.
// The depression is the record's only sensitive item: it carries the PSY label,
// and nothing else in the record (no antidepressant, no questionnaire score, no
// mention in a letter or a plan) gives it away, so a test can tell that hiding
// sensitive data hides all of it.
func (g *gen) addConditions() {
	firstReview := g.visitsOf(review)[0]
	if g.p.asthma {
		when := g.onsetBetween(g.in.birth.AddDate(4, 0, 0), g.in.birth.AddDate(14, 0, 0), firstReview)
		g.cond.asthma = g.longTerm(snomed("195967001", "Asthma"), when)
	}
	if g.p.hypertension {
		when := g.onsetBetween(g.in.birth.AddDate(35, 0, 0), g.from, firstReview)
		if g.p.hypertensionNew {
			when = onset{visit: firstReview}
		}
		g.cond.hypertension = g.longTerm(snomed("59621000", "Essential hypertension"), when)
	}
	if g.p.rhinitis {
		when := g.onsetBetween(g.in.birth.AddDate(8, 0, 0), g.in.birth.AddDate(25, 0, 0), firstReview)
		g.cond.rhinitis = g.longTerm(snomed("61582004", "Allergic rhinitis"), when)
	}
	// Reviews are of the conditions that need one; each clinic is about one.
	var reviewed []reference
	for _, c := range []*conditionResource{g.cond.asthma, g.cond.hypertension} {
		if c != nil {
			reviewed = append(reviewed, c.ref())
		}
	}
	for _, v := range g.visitsOf(review) {
		v.res.ReasonReference = reviewed
	}
	for _, v := range g.visitsOf(outpatient) {
		v.res.ReasonReference = []reference{pick(g, reviewed)}
	}

	ae := g.ae
	discharge := g.stay.end
	well := discharge.AddDate(0, 0, 21+g.r.IntN(21))
	pneumonia := &conditionResource{
		resource:           g.start("Condition", earlier(well, g.in.now)),
		ClinicalStatus:     code(sysConditionClinical, "resolved", "Resolved"),
		VerificationStatus: code(sysConditionVerification, "confirmed", "Confirmed"),
		Category:           diagnosisAt,
		Code:               snomed("385093006", "Community acquired pneumonia"),
		Subject:            g.patient,
		Encounter:          ae.ref(),
		OnsetDateTime:      date(ae.start.AddDate(0, 0, -3)),
		AbatementDateTime:  date(earlier(well, g.in.now)),
		RecordedDate:       instant(ae.start.Add(g.minutes(60, 150))),
		Recorder:           clinician(ae.res.Participant[0].Individual.Display),
	}
	g.add(pneumonia)
	g.cond.pneumonia = pneumonia
	ae.res.Diagnosis = []diagnosis{{Condition: pneumonia.ref()}}
	g.stay.res.Diagnosis = []diagnosis{{Condition: pneumonia.ref()}}

	// Diagnosed at one of the GP appointments, which then gives no reason: its
	// reason would say what the diagnosis was.
	gp := g.visitsOf(consult)
	at := gp[g.r.IntN(len(gp))]
	at.res.ReasonCode = nil
	depression := &conditionResource{
		resource:           g.start("Condition", at.end),
		ClinicalStatus:     code(sysConditionClinical, "active", "Active"),
		VerificationStatus: code(sysConditionVerification, "confirmed", "Confirmed"),
		Category:           problemList,
		Code:               snomed("35489007", "Depressive disorder"),
		Subject:            g.patient,
		Encounter:          at.ref(),
		OnsetDateTime:      date(at.start.AddDate(0, -2-g.r.IntN(4), 0)),
		RecordedDate:       instant(at.end),
		Recorder:           clinician(g.p.gp),
	}
	depression.Meta.Security = []coding{psy}
	g.add(depression)
	g.cond.depression = depression
}

// onset is when a long-term condition began: a day before the history, or the
// visit within it where it was diagnosed.
type onset struct {
	day   time.Time
	visit *visit
}

// onsetBetween is a random day between a and b, or, when the history starts
// before a (a young patient), the fallback visit, where the condition is then
// diagnosed.
func (g *gen) onsetBetween(a, b time.Time, fallback *visit) onset {
	b = earlier(b, g.from)
	if !a.Before(b) {
		return onset{visit: fallback}
	}
	return onset{day: midnight(g.between(a, b))}
}

// longTerm adds an active problem-list condition. One that began before the
// history was recorded by an earlier practice system: it has an onset date and no
// encounter here. One diagnosed during the history points at the visit.
func (g *gen) longTerm(c concept, when onset) *conditionResource {
	res := &conditionResource{
		ClinicalStatus:     code(sysConditionClinical, "active", "Active"),
		VerificationStatus: code(sysConditionVerification, "confirmed", "Confirmed"),
		Category:           problemList,
		Code:               c,
		Subject:            g.patient,
	}
	if v := when.visit; v != nil {
		res.resource = g.start("Condition", v.end)
		res.Encounter = v.ref()
		res.OnsetDateTime = date(v.start)
		res.RecordedDate = instant(v.end)
		res.Recorder = clinician(v.res.Participant[0].Individual.Display)
	} else {
		res.resource = g.start("Condition", when.day)
		res.OnsetDateTime = date(when.day)
		res.RecordedDate = date(when.day)
	}
	g.add(res)
	return res
}
