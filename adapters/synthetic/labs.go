package synthetic

import (
	"math"
	"time"
)

type diagnosticReportResource struct {
	resource
	Status            string      `json:"status"`
	Category          []concept   `json:"category"`
	Code              concept     `json:"code"`
	Subject           reference   `json:"subject"`
	Encounter         *reference  `json:"encounter,omitempty"`
	EffectiveDateTime string      `json:"effectiveDateTime"`
	Issued            string      `json:"issued"`
	Performer         []reference `json:"performer"`
	Result            []reference `json:"result"`
}

var labReport = []concept{code("http://terminology.hl7.org/CodeSystem/v2-0074", "LAB", "Laboratory")}

// Laboratory tests, in the units and with the reference ranges of a UK
// laboratory. Creatinine and haemoglobin ranges depend on sex (see ranges).
var (
	sodium      = measure{code: loinc("2951-2", "Sodium [Moles/volume] in Serum or Plasma"), unit: "mmol/L", ucum: "mmol/L", low: 133, high: 146}
	potassium   = measure{code: loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma"), unit: "mmol/L", ucum: "mmol/L", places: 1, low: 3.5, high: 5.3}
	urea        = measure{code: loinc("22664-7", "Urea [Moles/volume] in Serum or Plasma"), unit: "mmol/L", ucum: "mmol/L", places: 1, low: 2.5, high: 7.8}
	creatinine  = measure{code: loinc("14682-9", "Creatinine [Moles/volume] in Serum or Plasma"), unit: "umol/L", ucum: "umol/L", low: 45, high: 104}
	egfr        = measure{code: loinc("62238-1", "Glomerular filtration rate/1.73 sq M.predicted [Volume Rate/Area] in Serum, Plasma or Blood by Creatinine-based formula (CKD-EPI)"), unit: "mL/min/1.73m2", ucum: "mL/min/{1.73_m2}", low: 60}
	cholesterol = measure{code: loinc("14647-2", "Cholesterol [Moles/volume] in Serum or Plasma"), unit: "mmol/L", ucum: "mmol/L", places: 1, high: 5}
	hdl         = measure{code: loinc("14646-4", "Cholesterol in HDL [Moles/volume] in Serum or Plasma"), unit: "mmol/L", ucum: "mmol/L", places: 1, low: 1}
	trigs       = measure{code: loinc("14927-8", "Triglyceride [Moles/volume] in Serum or Plasma"), unit: "mmol/L", ucum: "mmol/L", places: 1, high: 1.7}
	hba1c       = measure{code: loinc("59261-8", "Hemoglobin A1c/Hemoglobin.total in Blood by IFCC protocol"), unit: "mmol/mol", ucum: "mmol/mol", low: 20, high: 41}
	haemoglobin = measure{code: loinc("718-7", "Hemoglobin [Mass/volume] in Blood"), unit: "g/L", ucum: "g/L", low: 115, high: 180}
	wcc         = measure{code: loinc("6690-2", "Leukocytes [#/volume] in Blood by Automated count"), unit: "10^9/L", ucum: "10*9/L", places: 1, low: 4, high: 11}
	platelets   = measure{code: loinc("777-3", "Platelets [#/volume] in Blood by Automated count"), unit: "10^9/L", ucum: "10*9/L", low: 150, high: 400}
	crp         = measure{code: loinc("1988-5", "C reactive protein [Mass/volume] in Serum or Plasma"), unit: "mg/L", ucum: "mg/L", high: 5}
)

// Panels: the LOINC code of the report, with the name a UK laboratory gives it.
var (
	uePanel    = concept{Coding: loinc("24362-6", "Renal function 2000 panel - Serum or Plasma").Coding, Text: "Urea and electrolytes"}
	lipidPanel = concept{Coding: loinc("24331-1", "Lipid 1996 panel - Serum or Plasma").Coding, Text: "Lipid profile"}
	hba1cTest  = concept{Coding: hba1c.code.Coding, Text: "HbA1c"}
	fbcPanel   = concept{Coding: loinc("58410-2", "CBC panel - Blood by Automated count").Coding, Text: "Full blood count"}
	crpTest    = concept{Coding: crp.code.Coding, Text: "C-reactive protein"}
)

// result is one value of a report.
type result struct {
	m     measure
	value float64
}

// addLabs adds blood tests: at adults' reviews (most of a hypertensive patient's,
// whose kidneys are watched; under half of others'), kidney function each time
// and, from 40, lipids and HbA1c (cardiovascular and diabetes risk) about every
// other time; and in A&E a full blood count, CRP and kidney function, which show
// the pneumonia's infection when it is that.
func (g *gen) addLabs() {
	for _, v := range g.visits {
		t := v.start.Add(g.minutes(10, 20))
		switch v.kind {
		case review:
			drawn := 0.45
			if g.p.hypertension {
				drawn = 0.6
			}
			if !g.p.adult || !g.chance(drawn) {
				continue
			}
			back := midnight(t).AddDate(0, 0, 1).Add(g.minutes(9*60, 17*60))
			g.report(v, t, back, uePanel, g.kidneys(t, 0)...)
			if (g.ageOn(t) >= 40 || g.p.hypertension) && g.chance(0.45) {
				g.report(v, t, back, lipidPanel,
					result{cholesterol, g.around(g.p.cholest, 0.25, 2.5, 9)},
					result{hdl, g.around(g.p.hdl, 0.08, 0.6, 3)},
					result{trigs, g.around(g.p.trigs, 0.2, 0.4, 5)})
				years := yearsFrom(g.from, t)
				g.report(v, t, back, hba1cTest, result{hba1c, g.around(g.p.hba1c+0.4*years, 1.5, 25, 60)})
			}
		case emergency:
			back := t.Add(g.minutes(50, 100))
			hb := 132.0
			if g.in.gender == "male" {
				hb = 147
			}
			white, crpValue, platelet, acute := g.around(7, 1.5, 4.2, 10.5), g.around(3, 2, 1, 9), g.around(260, 50, 160, 420), 0.0
			if v.pneumonia {
				white, crpValue, platelet, acute = g.around(14.5, 2.5, 11.2, 22), g.around(140, 50, 60, 290), g.around(310, 50, 160, 480), 0.15
				g.admission.wcc, g.admission.crp = round(white, 1), round(crpValue, 0)
			}
			g.report(v, t, back, fbcPanel,
				result{haemoglobin, g.around(hb, 8, 105, 175)},
				result{wcc, white},
				result{platelets, platelet})
			g.report(v, t, back, crpTest, result{crp, crpValue})
			g.report(v, t, back, uePanel, g.kidneys(t, acute)...)
		}
	}
}

// kidneys are the results of urea and electrolytes on t, the creatinine raised by
// the fraction acute (dehydration with an infection). A hypertensive patient's
// creatinine creeps up over the years. eGFR is left out for children, for whom
// the adult equation does not hold.
func (g *gen) kidneys(t time.Time, acute float64) []result {
	years := yearsFrom(g.from, t)
	cr := g.p.creatinine
	if g.p.hypertension {
		cr += 1.5 * years
	}
	cr = round(g.around(cr, 5, 30, 200)*(1+acute), 0)
	out := []result{
		{sodium, g.around(139-20*acute, 2, 128, 146)},
		{potassium, g.around(4.3, 0.3, 3.4, 5.4)},
		{urea, g.around(5.2+10*acute, 1.1, 2.2, 12)},
		{creatinine, cr},
	}
	if g.ageOn(t) >= 18 {
		out = append(out, result{egfr, g.ckdEPI(cr, g.ageOn(t))})
	}
	return out
}

// ckdEPI is the CKD-EPI 2021 estimate of GFR from creatinine in umol/L.
func (g *gen) ckdEPI(cr float64, age int) float64 {
	scr := cr / 88.4
	kappa, alpha, sex := 0.9, -0.302, 1.0
	if g.in.gender == "female" {
		kappa, alpha, sex = 0.7, -0.241, 1.012
	}
	return 142 * math.Pow(min(scr/kappa, 1), alpha) * math.Pow(max(scr/kappa, 1), -1.2) * math.Pow(0.9938, float64(age)) * sex
}

// report adds a laboratory report of results sampled at taken and reported at
// back, each result its own Observation.
func (g *gen) report(v *visit, taken, back time.Time, panel concept, results ...result) {
	refs := make([]reference, 0, len(results))
	for _, r := range results {
		m := g.ranges(r.m)
		o := g.observe(laboratory, v, taken, m.code)
		o.Meta.LastUpdated = instant(back)
		o.Issued = instant(back)
		o.Performer = []reference{hospital}
		q := m.quantity(r.value)
		// Laboratories report a normal eGFR as ">90", not as a number.
		if m.code.Coding[0].Code == egfr.code.Coding[0].Code && q.Value > 90 {
			q.Value, q.Comparator = 90, ">"
		}
		o.ValueQuantity = &q
		if q.Comparator == "" {
			o.Interpretation = m.interpretation(r.value)
		}
		o.ReferenceRange = m.referenceRange()
		refs = append(refs, o.ref())
	}
	g.add(&diagnosticReportResource{
		resource:          g.start("DiagnosticReport", back),
		Status:            "final",
		Category:          labReport,
		Code:              panel,
		Subject:           g.patient,
		Encounter:         v.ref(),
		EffectiveDateTime: instant(taken),
		Issued:            instant(back),
		Performer:         []reference{hospital},
		Result:            refs,
	})
}

// ranges adjusts a measure's reference range to the patient's sex, where it
// depends on it.
func (g *gen) ranges(m measure) measure {
	female := g.in.gender == "female"
	switch m.code.Coding[0].Code {
	case creatinine.code.Coding[0].Code:
		if female {
			m.high = 84
		} else if g.in.gender == "male" {
			m.low = 59
		}
	case haemoglobin.code.Coding[0].Code:
		if female {
			m.high = 160
		} else if g.in.gender == "male" {
			m.low = 130
		}
	}
	return m
}
