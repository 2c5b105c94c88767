package synthetic

import (
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

type attachment struct {
	ContentType string `json:"contentType"`
	Language    string `json:"language"`
	Data        string `json:"data"`
	Title       string `json:"title"`
	Creation    string `json:"creation"`
}

type documentContent struct {
	Attachment attachment `json:"attachment"`
}

type documentContext struct {
	Encounter []reference `json:"encounter"`
	Period    period      `json:"period"`
}

type documentReferenceResource struct {
	resource
	Status      string            `json:"status"`
	DocStatus   string            `json:"docStatus"`
	Type        concept           `json:"type"`
	Subject     reference         `json:"subject"`
	Date        string            `json:"date"`
	Author      []reference       `json:"author"`
	Custodian   *reference        `json:"custodian,omitempty"`
	Description string            `json:"description"`
	Content     []documentContent `json:"content"`
	Context     *documentContext  `json:"context,omitempty"`
}

// addDischargeSummary adds the letter the hospital sends the GP when the patient
// goes home. It is plain text in the resource itself, so it needs no Binary and
// no server to fetch it from. Like every other resource but one, it says nothing
// of the depression.
func (g *gen) addDischargeSummary() {
	stay, ae := g.stay, g.ae
	author := stay.res.Participant[0].Individual.Display
	written := stay.end.Add(g.minutes(20, 90))
	letter := g.letter(ae.start, stay.end, author)
	g.add(&documentReferenceResource{
		resource:    g.start("DocumentReference", written),
		Status:      "current",
		DocStatus:   "final",
		Type:        snomed("373942005", "Discharge summary"),
		Subject:     g.patient,
		Date:        instant(written),
		Author:      []reference{{Display: author}, hospital},
		Custodian:   &hospital,
		Description: "Discharge summary: community acquired pneumonia",
		Content: []documentContent{{Attachment: attachment{
			// The charset is stated because the letter holds the patient's name,
			// which need not be ASCII.
			ContentType: "text/plain; charset=utf-8",
			Language:    "en-GB",
			Data:        base64.StdEncoding.EncodeToString([]byte(letter)),
			Title:       "Discharge summary",
			Creation:    instant(written),
		}}},
		Context: &documentContext{
			Encounter: []reference{stay.res.ref()},
			Period:    period{Start: instant(ae.start), End: instant(stay.end)},
		},
	})
}

// letter is the discharge summary's text, in the usual headings.
func (g *gen) letter(admitted, discharged time.Time, author string) string {
	p := g.in.person
	day := func(t time.Time) string { return t.Format("2 January 2006") }
	nhs := p.NHSNumber
	if len(nhs) == 10 {
		nhs = nhs[:3] + " " + nhs[3:6] + " " + nhs[6:]
	}
	birth := p.BirthDate
	if t, err := time.Parse(time.DateOnly, birth); err == nil {
		birth = day(t)
	}
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("%s", hospital.Display)
	line("Respiratory Medicine")
	line("")
	line("DISCHARGE SUMMARY")
	line("")
	line("Patient: %s %s", p.GivenName, p.FamilyName)
	line("NHS number: %s", nhs)
	line("Date of birth: %s", birth)
	line("GP: %s, %s", g.p.gp, gpPractice.Display)
	line("Admitted: %s, through the Emergency Department", day(admitted))
	line("Discharged: %s, to usual residence", day(discharged))
	line("")
	line("Diagnosis: community acquired pneumonia, right lower lobe.")
	line("")
	line("Presentation: three days of productive cough, fever and breathlessness.")
	line("On arrival febrile and tachypnoeic, oxygen saturation low on air.")
	line("")
	line("Investigations: chest X-ray showed right lower lobe consolidation.")
	line("White cell count %.1f x10^9/L, CRP %.0f mg/L.", g.admission.wcc, g.admission.crp)
	line("")
	line("Treatment: penicillin allergy noted (urticaria), so treated with oral")
	line("doxycycline, with oxygen for the first day. Improved steadily; on")
	line("discharge afebrile with normal oxygen saturation on air.")
	line("")
	line("Regular medicines (unchanged):")
	none := true
	for _, m := range g.meds {
		if m.since.Before(admitted) {
			line("- %s", m.what)
			none = false
		}
	}
	if none {
		line("- none")
	}
	line("")
	line("Allergies: penicillin (urticaria).")
	line("")
	line("Follow-up: please review in the practice in six weeks and repeat the")
	line("chest X-ray if symptoms persist.")
	line("")
	line("%s, Respiratory Medicine", author)
	line("")
	line("This record is synthetic: generated for demonstration and testing, about no real person.")
	return b.String()
}
