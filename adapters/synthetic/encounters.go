package synthetic

import (
	"cmp"
	"math"
	"slices"
	"time"
)

// visitKind is the sort of contact an encounter records.
type visitKind int

const (
	review     visitKind = iota // yearly long-term condition review with the practice nurse
	consult                     // face-to-face GP appointment about a problem
	phone                       // GP telephone consultation
	outpatient                  // hospital clinic
	emergency                   // A&E attendance
	admission                   // the inpatient stay after the A&E attendance with pneumonia
)

// visit is one encounter, with what later parts of the record hang on it.
type visit struct {
	kind       visitKind
	start, end time.Time
	res        *encounterResource
	first      bool // the first review of the history
	pneumonia  bool // the A&E attendance with pneumonia, which leads to an admission
}

func (v *visit) ref() *reference { return v.res.refp() }

type participant struct {
	Type       []concept  `json:"type,omitempty"`
	Individual *reference `json:"individual,omitempty"`
}

type diagnosis struct {
	Condition reference `json:"condition"`
}

type hospitalization struct {
	AdmitSource          *concept `json:"admitSource,omitempty"`
	DischargeDisposition *concept `json:"dischargeDisposition,omitempty"`
}

type encounterResource struct {
	resource
	Status          string           `json:"status"`
	Class           coding           `json:"class"`
	Type            []concept        `json:"type"`
	Subject         reference        `json:"subject"`
	Participant     []participant    `json:"participant,omitempty"`
	Period          period           `json:"period"`
	ReasonCode      []concept        `json:"reasonCode,omitempty"`
	ReasonReference []reference      `json:"reasonReference,omitempty"`
	Diagnosis       []diagnosis      `json:"diagnosis,omitempty"`
	Hospitalization *hospitalization `json:"hospitalization,omitempty"`
	ServiceProvider *reference       `json:"serviceProvider,omitempty"`
}

var (
	classAmbulatory  = coding{System: sysActCode, Code: "AMB", Display: "ambulatory"}
	classVirtual     = coding{System: sysActCode, Code: "VR", Display: "virtual"}
	classEmergency   = coding{System: sysActCode, Code: "EMER", Display: "emergency"}
	classInpatient   = coding{System: sysActCode, Code: "IMP", Display: "inpatient encounter"}
	primaryPerformer = []concept{code("http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer")}
)

// emergencies are why people come to A&E, other than the pneumonia.
var emergencies = []concept{
	snomed("29857009", "Chest pain"),
	snomed("21522001", "Abdominal pain"),
}

// symptoms are why people book a GP appointment; none of them is sensitive.
var symptoms = []concept{
	snomed("49727002", "Cough"),
	snomed("25064002", "Headache"),
	snomed("279039007", "Low back pain"),
	snomed("162397003", "Pain in throat"),
	snomed("84229001", "Fatigue"),
	snomed("267036007", "Dyspnoea"),
}

// perYear is how many visits of a kind the history has: rate a year, times the
// years covered, times the scale, at least minimum. When vary is set the count
// varies as a Poisson count would, so records differ in how busy they are;
// reviews are booked yearly, and A&E attendances are rare enough that chance
// would swing a small record's size too far.
func (g *gen) perYear(rate float64, minimum int, vary bool) int {
	mean := rate * g.years() * float64(g.in.scale)
	if vary {
		mean += math.Sqrt(mean) * g.r.NormFloat64()
	}
	return max(minimum, int(math.Round(mean)))
}

// years is the length of the history in years.
func (g *gen) years() float64 { return yearsFrom(g.from, g.to) }

// addEncounters plans the history's contacts, then adds them oldest first, so
// ids follow time. Reviews are spread evenly (they are booked yearly); GP, clinic
// and A&E visits fall at random. One A&E attendance, somewhere in the middle of
// the history, is with pneumonia and leads to a short admission; a longer or
// larger history has others, for chest or abdominal pain.
func (g *gen) addEncounters() {
	var plan []*visit
	reviews := g.perYear(1, 1, false)
	step := g.to.Sub(g.from) / time.Duration(reviews)
	for i := range reviews {
		t := g.from.Add(step*time.Duration(i) + step/2 + time.Duration((g.r.Float64()-0.5)*0.4*float64(step)))
		plan = append(plan, &visit{kind: review, start: g.surgeryHours(t, g.from)})
	}
	for _, k := range []struct {
		kind    visitKind
		rate    float64
		minimum int
		vary    bool
	}{{consult, 2.2, 1, true}, {phone, 1, 0, true}, {outpatient, 0.3, 1, true}, {emergency, 0.2, 1, false}} {
		for i := range g.perYear(k.rate, k.minimum, k.vary) {
			v := &visit{kind: k.kind}
			if k.kind != emergency {
				v.start = g.surgeryHours(g.between(g.from, g.to), g.from)
				plan = append(plan, v)
				continue
			}
			// The pneumonia comes first, in the middle half of the history, so
			// that its admission and recovery fit in it.
			span, when := g.to.Sub(g.from), g.between(g.from, g.to)
			if v.pneumonia = i == 0; v.pneumonia {
				when = g.from.Add(span/4 + time.Duration(g.r.Int64N(int64(span/2)+1)))
			}
			v.start = midnight(when).Add(time.Duration(7*60+g.r.IntN(15*60)) * time.Minute) // 07:00 to 21:59
			plan = append(plan, v)
		}
	}

	slices.SortStableFunc(plan, func(a, b *visit) int {
		return cmp.Or(a.start.Compare(b.start), cmp.Compare(a.kind, b.kind))
	})
	firstReview := true
	for _, v := range plan {
		if v.kind == review && firstReview {
			v.first, firstReview = true, false
		}
		g.addVisit(v)
		if v.pneumonia {
			g.ae = v
			g.stay = &visit{kind: admission, start: v.end}
			g.addVisit(g.stay)
		}
	}
}

// addVisit gives a planned visit its length and its Encounter.
func (g *gen) addVisit(v *visit) {
	e := encounterResource{Status: "finished", Subject: g.patient}
	who := g.p.gp
	switch v.kind {
	case review:
		v.end = v.start.Add(g.minutes(20, 30))
		e.Class, e.Type = classAmbulatory, []concept{snomed("185349003", "Encounter for check up")}
		who = g.p.nurse
		e.ServiceProvider = &gpPractice
	case consult:
		v.end = v.start.Add(g.minutes(10, 15))
		e.Class, e.Type = classAmbulatory, []concept{snomed("185345009", "Encounter for symptom")}
		e.ReasonCode = []concept{pick(g, symptoms)}
		e.ServiceProvider = &gpPractice
	case phone:
		v.end = v.start.Add(g.minutes(5, 10))
		e.Class, e.Type = classVirtual, []concept{snomed("185317003", "Telephone encounter")}
		e.ServiceProvider = &gpPractice
	case outpatient:
		v.end = v.start.Add(g.minutes(20, 40))
		e.Class, e.Type = classAmbulatory, []concept{snomed("11429006", "Consultation")}
		who = pick(g, doctors)
		e.ServiceProvider = &hospital
	case emergency:
		v.end = v.start.Add(g.minutes(180, 330))
		e.Class, e.Type = classEmergency, []concept{snomed("50849002", "Emergency room admission")}
		if !v.pneumonia {
			e.ReasonCode = []concept{pick(g, emergencies)}
		}
		who = pick(g, doctors)
		e.ServiceProvider = &hospital
	case admission:
		v.end = midnight(v.start).AddDate(0, 0, 2+g.r.IntN(3)).Add(time.Duration(10*60+g.r.IntN(7*60)) * time.Minute)
		e.Class, e.Type = classInpatient, []concept{snomed("183452005", "Emergency hospital admission")}
		who = pick(g, doctors)
		e.Hospitalization = &hospitalization{
			AdmitSource:          ptr(code("http://terminology.hl7.org/CodeSystem/admit-source", "emd", "From accident/emergency department")),
			DischargeDisposition: ptr(code("http://terminology.hl7.org/CodeSystem/discharge-disposition", "home", "Home")),
		}
		e.ServiceProvider = &hospital
	}
	e.resource = g.start("Encounter", v.end)
	e.Participant = []participant{{Type: primaryPerformer, Individual: clinician(who)}}
	e.Period = period{Start: instant(v.start), End: instant(v.end)}
	v.res = &e
	g.add(&e)
	g.visits = append(g.visits, v)
}

// visitsOf lists the visits of one kind, oldest first.
func (g *gen) visitsOf(kind visitKind) []*visit {
	var out []*visit
	for _, v := range g.visits {
		if v.kind == kind {
			out = append(out, v)
		}
	}
	return out
}

func ptr[T any](v T) *T { return &v }
