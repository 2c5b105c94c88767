package synthetic

type activityDetail struct {
	Code        *concept `json:"code,omitempty"`
	Status      string   `json:"status"`
	Description string   `json:"description"`
}

type activity struct {
	Detail activityDetail `json:"detail"`
}

type carePlanResource struct {
	resource
	Status      string      `json:"status"`
	Intent      string      `json:"intent"`
	Category    []concept   `json:"category"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Subject     reference   `json:"subject"`
	Period      period      `json:"period"`
	Created     string      `json:"created"`
	Author      *reference  `json:"author,omitempty"`
	Addresses   []reference `json:"addresses"`
	Activity    []activity  `json:"activity"`
}

// addCarePlan adds the plan agreed at the first review for the patient's
// long-term conditions: what to take, what to watch, when to come back.
func (g *gen) addCarePlan() {
	first := g.visitsOf(review)[0]
	plan := &carePlanResource{
		resource:    g.start("CarePlan", first.end),
		Status:      "active",
		Intent:      "plan",
		Category:    []concept{snomed("734163000", "Care plan")},
		Title:       "Long-term conditions care plan",
		Description: "Agreed with the patient at their review.",
		Subject:     g.patient,
		Period:      period{Start: date(first.start)},
		Created:     instant(first.end),
		Author:      clinician(g.p.nurse),
	}
	do := func(c *concept, description string) {
		plan.Activity = append(plan.Activity, activity{Detail: activityDetail{Code: c, Status: "in-progress", Description: description}})
	}
	if c := g.cond.asthma; c != nil {
		plan.Addresses = append(plan.Addresses, c.ref())
		do(ptr(snomed("710818004", "Inhaled steroid therapy")), "Preventer inhaler twice a day, every day, even when well.")
		do(nil, "Personal asthma action plan: use the reliever inhaler for symptoms; seek help the same day if it is needed more than three times a week.")
	}
	if c := g.cond.hypertension; c != nil {
		plan.Addresses = append(plan.Addresses, c.ref())
		do(nil, "Home blood pressure readings twice a day for a week before each review; target below 135/85.")
		do(nil, "Less salt, regular exercise, alcohol within 14 units a week.")
	}
	do(nil, "Annual review with the practice nurse, with blood tests when due.")
	g.add(plan)
}
