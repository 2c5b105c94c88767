package synthetic

import "time"

// profile is the patient's health, drawn once, so that every reading and result
// across the years tells one consistent story: a hypertensive patient's blood
// pressure is high until treatment starts, a tall patient stays tall.
type profile struct {
	adult     bool // 18 or over when the history starts
	ageAtFrom int

	asthma       bool
	hypertension bool
	// hypertensionNew means hypertension is diagnosed at the first review of the
	// history (readings before it are untreated); otherwise it predates it.
	hypertensionNew bool
	rhinitis        bool

	height     float64 // cm
	bmi        float64 // kg/m2 at the start; weight drifts from it
	bmiDrift   float64 // kg/m2 per year
	systolic   float64 // mmHg, untreated
	diastolic  float64
	pulse      float64 // /min
	cholest    float64 // mmol/L total cholesterol
	hdl        float64 // mmol/L
	trigs      float64 // mmol/L
	hba1c      float64 // mmol/mol
	creatinine float64 // umol/L

	gp, nurse string // the practice clinicians the patient usually sees
}

// drawProfile decides the patient's conditions and physiology. Hypertension
// needs an adult of 40 or more; asthma is common; everyone has at least one of
// the two, so every record has a long-term condition to review, prescribe for
// and plan care around.
func (g *gen) drawProfile() profile {
	age := yearsBetween(g.in.birth, g.from)
	p := profile{adult: age >= 18, ageAtFrom: age}
	p.hypertension = age >= 40 && g.chance(0.7)
	p.hypertensionNew = p.hypertension && g.chance(0.5)
	p.asthma = g.chance(0.6) || !p.hypertension
	p.rhinitis = g.chance(0.4)

	male := g.in.gender == "male"
	female := g.in.gender == "female"
	switch {
	case male:
		p.height = g.around(176, 7, 155, 200)
		p.creatinine = g.around(85, 10, 60, 110)
		p.hdl = g.around(1.25, 0.2, 0.8, 1.9)
	case female:
		p.height = g.around(163, 6.5, 145, 185)
		p.creatinine = g.around(68, 9, 45, 90)
		p.hdl = g.around(1.55, 0.25, 1.0, 2.3)
	default:
		p.height = g.around(170, 8, 148, 195)
		p.creatinine = g.around(76, 10, 50, 100)
		p.hdl = g.around(1.4, 0.25, 0.9, 2.1)
	}
	p.bmi = g.around(26.5, 3.5, 19, 38)
	p.bmiDrift = g.around(0.15, 0.3, -0.6, 0.8)
	p.systolic = g.around(121, 8, 100, 138)
	p.diastolic = g.around(76, 5, 62, 86)
	if p.hypertension {
		p.systolic += g.around(24, 5, 14, 38)
		p.diastolic += g.around(12, 3, 6, 18)
	}
	p.pulse = g.around(71, 7, 55, 92)
	p.cholest = g.around(5.0, 0.7, 3.4, 7.2)
	p.trigs = g.around(1.4, 0.4, 0.6, 2.8)
	p.hba1c = g.around(37, 3, 30, 46)

	if !p.adult {
		// Children's physiology, coarsely: smaller, faster heart, lower pressure.
		grown := max(0.3, float64(age)/18)
		p.height = 55 + (p.height-55)*grown
		p.bmi = g.around(17, 1.5, 14, 22)
		p.systolic = g.around(104, 6, 90, 118)
		p.diastolic = g.around(64, 5, 52, 76)
		p.pulse = g.around(88, 8, 70, 110)
		p.creatinine *= 0.6
	}

	p.gp = pick(g, gps)
	p.nurse = pick(g, nurses)
	return p
}

// ageOn is the patient's age in whole years on t.
func (g *gen) ageOn(t time.Time) int { return yearsBetween(g.in.birth, t) }
