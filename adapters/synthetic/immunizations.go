package synthetic

import "time"

type protocolApplied struct {
	TargetDisease         []concept `json:"targetDisease,omitempty"`
	DoseNumberPositiveInt int       `json:"doseNumberPositiveInt"`
}

type immunizationResource struct {
	resource
	Status             string            `json:"status"`
	VaccineCode        concept           `json:"vaccineCode"`
	Patient            reference         `json:"patient"`
	OccurrenceDateTime string            `json:"occurrenceDateTime"`
	Recorded           string            `json:"recorded"`
	PrimarySource      bool              `json:"primarySource"`
	LotNumber          string            `json:"lotNumber"`
	ExpirationDate     string            `json:"expirationDate"`
	Site               concept           `json:"site"`
	Route              concept           `json:"route"`
	DoseQuantity       quantity          `json:"doseQuantity"`
	Performer          []performer       `json:"performer"`
	ProtocolApplied    []protocolApplied `json:"protocolApplied"`
}

type performer struct {
	Actor reference `json:"actor"`
}

// vaccine is a dm+d product and the volume of one dose.
type vaccine struct {
	product concept
	ml      float64
}

var (
	fluVaccine  = vaccine{snomed("11278411000001109", "Influenza vaccine (split virion, inactivated) suspension for injection 0.5ml pre-filled syringes (Pfizer Ltd)"), 0.5}
	covidPfizer = vaccine{snomed("39115611000001103", "COVID-19 mRNA Vaccine Pfizer-BioNTech BNT162b2 30micrograms/0.3ml dose concentrate for suspension for injection multidose vials (Pfizer Ltd)"), 0.3}
	covidAZ     = vaccine{snomed("39114911000001105", "COVID-19 Vaccine AstraZeneca (ChAdOx1 S [recombinant]) 5x10,000,000,000 viral particles/0.5ml dose solution for injection multidose vials (AstraZeneca)"), 0.5}

	influenza     = snomed("6142004", "Influenza")
	covid19       = snomed("840539006", "Disease caused by severe acute respiratory syndrome coronavirus 2")
	leftArm       = code("http://terminology.hl7.org/CodeSystem/v3-ActSite", "LA", "left arm")
	intramuscular = code("http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration", "IM", "Injection, intramuscular")
)

// dose is one vaccination to give, if it falls within the history.
type dose struct {
	vaccine vaccine
	disease concept
	number  int
	from    time.Time // given on a random day from here
	days    int       // to here plus days
}

// addImmunizations adds a flu vaccine every autumn and the COVID-19 doses of the
// English programme for the patient's age (first and second doses in 2021 by age
// band, a booster that winter, autumn boosters for the over-50s in 2022 and the
// over-65s since), those that fall within the history. Vaccines do not scale:
// nobody has more than one flu jab a year.
func (g *gen) addImmunizations() {
	var doses []dose
	for year := g.from.Year(); year <= g.to.Year(); year++ {
		autumn := time.Date(year, time.September, 25, 0, 0, 0, 0, time.UTC)
		doses = append(doses, dose{vaccine: fluVaccine, disease: influenza, number: 1, from: autumn, days: 60})
	}
	doses = append(doses, g.covidDoses()...)
	for _, d := range doses {
		day := d.from.AddDate(0, 0, g.r.IntN(d.days+1))
		at := g.surgeryHours(day, g.from)
		if at.Before(g.from) || at.After(g.to) || g.ageOn(at) < 1 {
			continue
		}
		g.add(&immunizationResource{
			resource:           g.start("Immunization", at),
			Status:             "completed",
			VaccineCode:        d.vaccine.product,
			Patient:            g.patient,
			OccurrenceDateTime: instant(at),
			Recorded:           instant(at),
			PrimarySource:      true,
			LotNumber:          g.lot(),
			ExpirationDate:     date(at.AddDate(0, 4+g.r.IntN(8), 0)),
			Site:               leftArm,
			Route:              intramuscular,
			DoseQuantity:       ucum(d.vaccine.ml, "ml", "mL"),
			Performer:          []performer{{Actor: gpPractice}},
			ProtocolApplied:    []protocolApplied{{TargetDisease: []concept{d.disease}, DoseNumberPositiveInt: d.number}},
		})
	}
}

// covidDoses is the patient's COVID-19 schedule, by age in mid-2021. Under-18s
// get none: most were offered one dose at most, late in 2021.
func (g *gen) covidDoses() []dose {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	age := g.ageOn(day(2021, time.June, 1))
	var first time.Time
	switch {
	case age >= 50:
		first = day(2021, time.February, 1)
	case age >= 40:
		first = day(2021, time.April, 15)
	case age >= 30:
		first = day(2021, time.May, 20)
	case age >= 18:
		first = day(2021, time.June, 15)
	default:
		return nil
	}
	// AstraZeneca was offered to the over-40s only.
	primary := covidPfizer
	if age >= 40 && g.chance(0.5) {
		primary = covidAZ
	}
	gap := time.Duration(8+g.r.IntN(4)) * 7 * 24 * time.Hour
	doses := []dose{
		{vaccine: primary, disease: covid19, number: 1, from: first, days: 35},
		{vaccine: primary, disease: covid19, number: 2, from: first.Add(gap), days: 35},
		{vaccine: covidPfizer, disease: covid19, number: 3, from: day(2021, time.December, 1), days: 45},
	}
	for year, n := 2022, 4; year <= g.to.Year(); year++ {
		autumn := day(year, time.September, 15)
		if g.ageOn(autumn) >= 65 || (year == 2022 && g.ageOn(autumn) >= 50) {
			doses = append(doses, dose{vaccine: covidPfizer, disease: covid19, number: n, from: autumn, days: 60})
			n++
		}
	}
	return doses
}

// lot is a vaccine batch number in the manufacturers' usual shape.
func (g *gen) lot() string {
	const letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
	b := []byte{letters[g.r.IntN(len(letters))], letters[g.r.IntN(len(letters))]}
	for range 4 {
		b = append(b, byte('0'+g.r.IntN(10)))
	}
	return string(b)
}
