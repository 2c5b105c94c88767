package synthetic

import (
	"math/rand/v2"
	"time"
)

// gen is one record being generated. Each part of the record is a method in its
// own file; generate calls them in a fixed order, because every random draw
// depends on the draws before it.
type gen struct {
	in      input
	r       *rand.Rand
	n       int // resources started so far: the next one's index
	entries []entry

	// from and to bound the history. to is a week before now, so results taken at
	// the last visit are back and nothing lies in the future.
	from, to time.Time
	p        profile
	patient  reference
	visits   []*visit
	// ae is the A&E attendance with pneumonia, and stay the admission after it.
	ae, stay *visit
	cond     conditions
	meds     []taking // what the patient takes regularly, for the discharge letter
	// admission holds the admission's results, for the discharge letter.
	admission struct{ crp, wcc float64 }
}

// taking is a medicine the patient takes, since when.
type taking struct {
	since time.Time
	what  string
}

func generate(in input) ([]byte, error) {
	g := &gen{in: in, r: rand.New(rand.NewPCG(uint64(in.seed), personStream(in.person.NHSNumber)))}
	g.to = in.now.AddDate(0, 0, -7)
	g.from = in.now.AddDate(-in.years, 0, 0)
	if born := in.birth.AddDate(0, 0, 1); g.from.Before(born) {
		g.from = born
	}
	g.p = g.drawProfile()

	g.addPatient()
	g.addEncounters()
	g.addConditions()
	g.addAllergies()
	g.addMedications()
	g.addImmunizations()
	g.addVitals()
	g.addLabs()
	g.addProcedures()
	g.addDischargeSummary()
	g.addCarePlan()
	return g.marshal()
}
