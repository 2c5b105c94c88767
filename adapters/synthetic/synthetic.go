// Package synthetic generates believable, entirely made-up FHIR R4 patient records.
//
// Development mode seeds its demo patients with them, so a fresh clone serves the
// same records anywhere without the shared fixtures (DESIGN.md section 6), and
// benchmarks ask for them at scale. Output is a pure function of its inputs: the
// same Person and Options always give the same bytes, so tests can pin them and
// re-ingesting a record updates it rather than duplicating it.
package synthetic

import (
	"errors"
	"fmt"
	"time"
)

// Person is whom a record is about. The NHS number should be one the NHS never
// issues (the 999 range), since everything else in the record is invented.
type Person struct {
	NHSNumber  string
	GivenName  string
	FamilyName string
	BirthDate  string // YYYY-MM-DD
	Gender     string // male, female, other or unknown; "" is unknown
}

// Options shape a record.
type Options struct {
	// Seed picks one record among the many possible for a person.
	Seed int64
	// Years is how much history the record covers, ending at Now; 0 means 5.
	Years int
	// Now anchors the record: every date in it is before Now. It is required,
	// because reading the clock would make the output differ from run to run.
	Now time.Time
	// Scale multiplies the encounters and the observations, results and
	// prescriptions made at them: 1 (or 0) is a believable record of about 100
	// to 130 resources, 100 about 10,000 and 500 about 45,000 to 50,000, for
	// benchmarks. Conditions, allergies, vaccines and the like do not multiply.
	Scale int
}

// DefaultYears is the history length when Options.Years is 0.
const DefaultYears = 5

// demoSeed is the seed of Demo records. Changing it changes every demo patient's
// record, and with it whatever a README or a test says about them.
const demoSeed = 20240601

// maxScale bounds Scale so a mistaken argument cannot ask for gigabytes.
const maxScale = 10000

// Record generates one patient's record: a FHIR R4 Bundle of type collection,
// as JSON.
func Record(p Person, opt Options) ([]byte, error) {
	in, err := check(p, opt)
	if err != nil {
		return nil, err
	}
	return generate(in)
}

// Demo is the record development mode seeds for a demo patient: a fixed seed and
// Scale 1, so each demo patient has a distinct record that stays the same from
// run to run (given the same now).
func Demo(p Person, now time.Time) ([]byte, error) {
	return Record(p, Options{Seed: demoSeed, Years: DefaultYears, Now: now, Scale: 1})
}

// input is a checked Person and Options with the defaults applied.
type input struct {
	person Person
	seed   int64
	years  int
	scale  int
	now    time.Time // UTC, whole seconds
	birth  time.Time
	gender string
}

func check(p Person, opt Options) (input, error) {
	in := input{person: p, seed: opt.Seed, years: opt.Years, scale: opt.Scale}
	if p.NHSNumber == "" {
		return in, errors.New("synthetic: Person.NHSNumber is required")
	}
	if p.GivenName == "" || p.FamilyName == "" {
		return in, errors.New("synthetic: Person.GivenName and FamilyName are required")
	}
	birth, err := time.Parse(time.DateOnly, p.BirthDate)
	if err != nil {
		return in, fmt.Errorf("synthetic: Person.BirthDate %q is not YYYY-MM-DD", p.BirthDate)
	}
	in.birth = birth
	switch p.Gender {
	case "":
		in.gender = "unknown"
	case "male", "female", "other", "unknown":
		in.gender = p.Gender
	default:
		return in, fmt.Errorf("synthetic: Person.Gender %q is not male, female, other or unknown", p.Gender)
	}
	if opt.Now.IsZero() {
		return in, errors.New("synthetic: Options.Now is required")
	}
	in.now = opt.Now.UTC().Truncate(time.Second)
	// A record needs room for at least one review and the time to report it.
	if !birth.Before(in.now.AddDate(0, 0, -30)) {
		return in, errors.New("synthetic: Person.BirthDate must be at least 30 days before Options.Now")
	}
	switch {
	case in.years == 0:
		in.years = DefaultYears
	case in.years < 0 || in.years > 100:
		return in, fmt.Errorf("synthetic: Options.Years %d is outside 1..100", in.years)
	}
	switch {
	case in.scale == 0:
		in.scale = 1
	case in.scale < 0 || in.scale > maxScale:
		return in, fmt.Errorf("synthetic: Options.Scale %d is outside 1..%d", in.scale, maxScale)
	}
	return in, nil
}
