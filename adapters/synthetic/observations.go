package synthetic

import "time"

type referenceRange struct {
	Low  *quantity `json:"low,omitempty"`
	High *quantity `json:"high,omitempty"`
}

type component struct {
	Code          concept  `json:"code"`
	ValueQuantity quantity `json:"valueQuantity"`
}

type observationResource struct {
	resource
	Status            string           `json:"status"`
	Category          []concept        `json:"category"`
	Code              concept          `json:"code"`
	Subject           reference        `json:"subject"`
	Encounter         *reference       `json:"encounter,omitempty"`
	EffectiveDateTime string           `json:"effectiveDateTime"`
	Issued            string           `json:"issued,omitempty"`
	Performer         []reference      `json:"performer,omitempty"`
	ValueQuantity     *quantity        `json:"valueQuantity,omitempty"`
	Interpretation    []concept        `json:"interpretation,omitempty"`
	ReferenceRange    []referenceRange `json:"referenceRange,omitempty"`
	Component         []component      `json:"component,omitempty"`
}

const sysObservationCategory = "http://terminology.hl7.org/CodeSystem/observation-category"

var (
	vitalSigns = []concept{code(sysObservationCategory, "vital-signs", "Vital Signs")}
	laboratory = []concept{code(sysObservationCategory, "laboratory", "Laboratory")}
)

// measure is something measured as a number: what it is, its unit (as read and
// as UCUM), how many decimals it is reported to, and its reference range (0 for
// an open end; both 0 for none).
type measure struct {
	code      concept
	unit      string
	ucum      string
	places    int
	low, high float64
}

func (m measure) quantity(v float64) quantity { return ucum(round(v, m.places), m.unit, m.ucum) }

// referenceRange is m's normal range, if it has one.
func (m measure) referenceRange() []referenceRange {
	var r referenceRange
	if m.low != 0 {
		r.Low = ptr(m.quantity(m.low))
	}
	if m.high != 0 {
		r.High = ptr(m.quantity(m.high))
	}
	if r.Low == nil && r.High == nil {
		return nil
	}
	return []referenceRange{r}
}

// interpretation flags a value outside m's range, as laboratories do.
func (m measure) interpretation(v float64) []concept {
	v = round(v, m.places)
	switch {
	case m.low == 0 && m.high == 0:
		return nil
	case m.low != 0 && v < m.low:
		return []concept{code(sysInterpretation, "L", "Low")}
	case m.high != 0 && v > m.high:
		return []concept{code(sysInterpretation, "H", "High")}
	}
	return []concept{code(sysInterpretation, "N", "Normal")}
}

// observe adds an Observation of category cat at visit v, taken at t.
func (g *gen) observe(cat []concept, v *visit, t time.Time, c concept) *observationResource {
	res := &observationResource{
		resource:          g.start("Observation", t),
		Status:            "final",
		Category:          cat,
		Code:              c,
		Subject:           g.patient,
		Encounter:         v.ref(),
		EffectiveDateTime: instant(t),
	}
	g.add(res)
	return res
}
