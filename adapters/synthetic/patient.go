package synthetic

type humanName struct {
	Use    string   `json:"use"`
	Family string   `json:"family"`
	Given  []string `json:"given"`
}

type patientResource struct {
	resource
	Active              bool        `json:"active"`
	Name                []humanName `json:"name"`
	Gender              string      `json:"gender"`
	BirthDate           string      `json:"birthDate"`
	GeneralPractitioner []reference `json:"generalPractitioner"`
}

// addPatient adds the Patient: the person as given, identified by NHS number
// first (how every NHS system matches a patient), then by the synthetic
// identifier every resource here carries.
func (g *gen) addPatient() {
	p := g.in.person
	res := &patientResource{
		resource:            g.start("Patient", g.from),
		Active:              true,
		Name:                []humanName{{Use: "official", Family: p.FamilyName, Given: []string{p.GivenName}}},
		Gender:              g.in.gender,
		BirthDate:           p.BirthDate,
		GeneralPractitioner: []reference{gpPractice},
	}
	res.Identifier = append([]identifier{{System: sysNHSNumber, Value: p.NHSNumber}}, res.Identifier...)
	g.add(res)
	g.patient = res.ref()
}
