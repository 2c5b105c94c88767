package synthetic

import "time"

// Vital signs, with the LOINC codes the FHIR vital signs profile asks for.
var (
	heartRate   = measure{code: loinc("8867-4", "Heart rate"), unit: "beats/minute", ucum: "/min"}
	respRate    = measure{code: loinc("9279-1", "Respiratory rate"), unit: "breaths/minute", ucum: "/min"}
	bodyWeight  = measure{code: loinc("29463-7", "Body weight"), unit: "kg", ucum: "kg", places: 1}
	bodyHeight  = measure{code: loinc("8302-2", "Body height"), unit: "cm", ucum: "cm", places: 1}
	bmi         = measure{code: loinc("39156-5", "Body mass index (BMI) [Ratio]"), unit: "kg/m2", ucum: "kg/m2", places: 1}
	temperature = measure{code: loinc("8310-5", "Body temperature"), unit: "degrees C", ucum: "Cel", places: 1}
	oxygenSat   = measure{code: concept{Coding: []coding{
		{System: sysLOINC, Code: "59408-5", Display: "Oxygen saturation in Arterial blood by Pulse oximetry"},
		{System: sysLOINC, Code: "2708-6", Display: "Oxygen saturation in Arterial blood"},
	}, Text: "Oxygen saturation"}, unit: "%", ucum: "%"}
	bpPanel   = loinc("85354-9", "Blood pressure panel with all children optional")
	systolic  = measure{code: loinc("8480-6", "Systolic blood pressure"), unit: "mmHg", ucum: "mm[Hg]"}
	diastolic = measure{code: loinc("8462-4", "Diastolic blood pressure"), unit: "mmHg", ucum: "mm[Hg]"}
)

// addVitals records what was measured at each visit: weight and blood pressure
// at reviews (and height at the first), blood pressure and pulse at some GP
// appointments and at clinics, and a full set of observations in A&E, which show
// the pneumonia: fast, feverish, short of breath.
func (g *gen) addVitals() {
	for _, v := range g.visits {
		t := v.start.Add(g.minutes(2, 8))
		switch v.kind {
		case review:
			if v.first {
				g.vital(v, t, bodyHeight, g.heightOn(t))
			}
			g.bloodPressure(v, t, 0)
			if g.chance(0.5) {
				g.vital(v, t, heartRate, g.around(g.p.pulse, 5, 45, 130))
			}
			kg := g.bmiOn(t) * g.heightOn(t) * g.heightOn(t) / 10000
			g.vital(v, t, bodyWeight, kg)
			g.vital(v, t, bmi, round(kg, 1)/(g.heightOn(t)*g.heightOn(t)/10000))
		case consult:
			if g.chance(0.4) {
				g.bloodPressure(v, t, 0)
			}
			if g.chance(0.3) {
				g.vital(v, t, heartRate, g.around(g.p.pulse+4, 6, 45, 130))
			}
		case outpatient:
			g.bloodPressure(v, t, 0)
			g.vital(v, t, heartRate, g.around(g.p.pulse, 5, 45, 130))
		case emergency:
			t = v.start.Add(g.minutes(10, 25))
			if !v.pneumonia {
				g.bloodPressure(v, t, 6)
				g.vital(v, t, heartRate, g.around(g.p.pulse+12, 8, 55, 130))
				g.vital(v, t, respRate, g.around(16, 2, 12, 22))
				g.vital(v, t, oxygenSat, g.around(97.5, 1, 95, 100))
				g.vital(v, t, temperature, g.around(36.8, 0.3, 36, 37.6))
				continue
			}
			g.bloodPressure(v, t, -8)
			g.vital(v, t, heartRate, g.around(g.p.pulse+32, 6, 90, 140))
			g.vital(v, t, respRate, g.around(24, 2, 21, 30))
			g.vital(v, t, oxygenSat, g.around(93, 1.3, 89, 95))
			g.vital(v, t, temperature, g.around(38.6, 0.4, 38.0, 39.8))
		}
	}
}

func (g *gen) vital(v *visit, t time.Time, m measure, value float64) {
	g.observe(vitalSigns, v, t, m.code).ValueQuantity = ptr(m.quantity(value))
}

// bloodPressure adds a blood pressure panel, shifted by offset mmHg. Pressure is
// the profile's, less what amlodipine takes off once the patient is on it.
func (g *gen) bloodPressure(v *visit, t time.Time, offset float64) {
	sys, dia := g.p.systolic, g.p.diastolic
	if g.p.hypertension && (!g.p.hypertensionNew || !t.Before(g.visitsOf(review)[0].end)) {
		sys, dia = sys-16, dia-8
	}
	o := g.observe(vitalSigns, v, t, bpPanel)
	o.Component = []component{
		{Code: systolic.code, ValueQuantity: systolic.quantity(g.around(sys+offset, 7, 85, 200))},
		{Code: diastolic.code, ValueQuantity: diastolic.quantity(g.around(dia+offset/2, 5, 45, 120))},
	}
}

// heightOn is the patient's height on t: children grow about 5 cm a year until 18.
func (g *gen) heightOn(t time.Time) float64 {
	growing := yearsFrom(g.from, earlier(t, g.in.birth.AddDate(18, 0, 0)))
	return g.p.height + 5*max(0, growing)
}

// bmiOn drifts from the profile's BMI year by year.
func (g *gen) bmiOn(t time.Time) float64 {
	return max(14, g.p.bmi+g.p.bmiDrift*yearsFrom(g.from, t)+g.around(0, 0.3, -1, 1))
}
