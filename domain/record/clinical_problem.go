package record

// problemClinical: a problem is current while active, recurring or relapsed, and
// not refuted or entered in error. Without a clinical status it is not: R4
// requires one on every problem not entered in error, so its absence says
// nothing is current.
func problemClinical(res object) Clinical {
	verification := unverified(res)
	status := conceptCode(jsonObj(res, "clinicalStatus"))
	active := status == "active" || status == "recurrence" || status == "relapse"
	return Clinical{Section: SectionProblems, Current: active && !voidVerification(verification),
		Detail: Detail{Verification: verification}}
}
