package record

// criticalityRank orders allergies so the dangerous ones come first; one whose
// criticality nobody stated ranks above one known to be low.
var criticalityRank = map[string]int{"high": 0, "unable-to-assess": 1, "": 2, "low": 3}

// allergyClinical: an allergy is current while active (an absent clinical
// status is read as active: a source that lists an allergy without saying it
// has passed means it) and not refuted or entered in error.
func allergyClinical(res object) Clinical {
	clinical := conceptCode(jsonObj(res, "clinicalStatus"))
	verification := unverified(res)
	criticality := jsonStr(res, "criticality")
	rank, ok := criticalityRank[criticality]
	if !ok {
		rank = criticalityRank[""]
	}
	return Clinical{
		Section: SectionAllergies,
		Current: (clinical == "" || clinical == "active") && !voidVerification(verification),
		Rank:    rank,
		Detail:  Detail{Criticality: criticality, Verification: verification, Reactions: reactions(res)},
	}
}

func reactions(res object) []Reaction {
	var out []Reaction
	for _, r := range jsonObjs(res, "reaction") {
		var reaction Reaction
		for _, m := range jsonObjs(r, "manifestation") {
			if t := conceptText(m); t != "" {
				reaction.Manifestations = append(reaction.Manifestations, t)
			}
		}
		reaction.Severity = jsonStr(r, "severity")
		if len(reaction.Manifestations) > 0 || reaction.Severity != "" {
			out = append(out, reaction)
		}
	}
	return out
}
