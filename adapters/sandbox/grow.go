package sandbox

import (
	"math"
	"time"
)

// maxGrowthPerRequest bounds how much one request adds when the clock has jumped
// far (a laptop waking up): the backlog beyond it is dropped, not served later.
const maxGrowthPerRequest = 100

// vital is a vital sign the sandbox can invent, with a believable range.
type vital struct {
	code, display, unit string
	lo, hi              float64
	decimals            int
}

var vitals = []vital{
	{"8867-4", "Heart rate", "/min", 55, 100, 0},
	{"9279-1", "Respiratory rate", "/min", 12, 20, 0},
	{"8310-5", "Body temperature", "Cel", 36.1, 37.6, 1},
	{"59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%", 94, 100, 0},
}

// Grow adds n new vital-sign Observations, stamped now, to the patients in turn,
// and returns their "Type/id"s. What is added depends only on the seed and how many
// were grown before, so a test can predict it.
func (s *Sandbox) Grow(n int) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.growLocked(n)
}

func (s *Sandbox) growLocked(n int) []string {
	var refs []string
	for range n {
		p := s.st.patients[s.grown%len(s.st.patients)]
		v := vitals[s.content.IntN(len(vitals))]
		scale := math.Pow10(v.decimals)
		value := math.Round((v.lo+s.content.Float64()*(v.hi-v.lo))*scale) / scale
		now := formatInstant(s.changeStamp())
		obs := map[string]any{
			"resourceType": "Observation",
			"status":       "final",
			"category": []any{map[string]any{"coding": []any{map[string]any{
				"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs", "display": "Vital signs",
			}}}},
			"code": map[string]any{
				"coding": []any{map[string]any{"system": "http://loinc.org", "code": v.code, "display": v.display}},
				"text":   v.display,
			},
			"subject":           map[string]any{"reference": "Patient/" + p.id},
			"effectiveDateTime": now,
			"issued":            now,
			"valueQuantity":     map[string]any{"value": value, "unit": v.unit, "system": "http://unitsofmeasure.org", "code": v.unit},
		}
		ref, err := s.addLocked(p.id, decoded{typ: "Observation", obj: obs})
		if err != nil {
			// Only a fresh random id clashing with a stored one could fail: nothing
			// was stored, and this one is skipped.
			continue
		}
		s.grown++
		refs = append(refs, ref)
	}
	return refs
}

// growDue adds one resource for every `every` of clock time since the last growth.
// It runs on requests rather than in a goroutine, so tests that move the injected
// clock see exactly what they expect.
func (s *Sandbox) growDue(every time.Duration) {
	if every <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.stamp()
	k := int64(now.Sub(s.lastGrowth) / every)
	if k <= 0 {
		return
	}
	if k > maxGrowthPerRequest {
		s.lastGrowth = now
		k = maxGrowthPerRequest
	} else {
		s.lastGrowth = s.lastGrowth.Add(time.Duration(k) * every)
	}
	s.growLocked(int(k))
}
