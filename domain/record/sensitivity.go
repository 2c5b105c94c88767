package record

import (
	"slices"
	"strings"
)

// Code systems the default rules use.
const (
	SystemActCode         = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
	SystemConfidentiality = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
	SystemSNOMED          = "http://snomed.info/sct"
	SystemLOINC           = "http://loinc.org"
	SystemICD10           = "http://hl7.org/fhir/sid/icd-10"
	SystemICD10CM         = "http://hl7.org/fhir/sid/icd-10-cm"
	SystemICD10UK         = "http://hl7.org/fhir/sid/icd-10-uk"
)

// SensitivityRules decide which resources are sensitive: disclosed only where a
// grant or share code includes sensitive data explicitly. Each map is keyed by
// code system. They are configuration: deployments extend them for their
// jurisdiction and terminology.
type SensitivityRules struct {
	// Labels are meta.security codes that make a resource sensitive. A label that
	// names no system matches these codes in any system: a sender who forgot the
	// system still meant something, and over-protecting is the safe mistake.
	Labels map[string][]string
	// Codes are clinical codes that make a resource sensitive, matched exactly.
	Codes map[string][]string
	// CodePrefixes are code prefixes (ICD-10 categories: "F1" covers F10-F19),
	// matched ignoring case and the dot of "F32.9".
	CodePrefixes map[string][]string
}

// DefaultSensitivity is a starting list, not a complete value set: the HL7 v3
// sensitivity policies for HIV, sexual health, abuse, mental and behavioral
// health, substance use and genetics, the restricted and very restricted
// confidentiality levels, a few well-known SNOMED CT and LOINC codes of the same
// areas (plus gender identity and sexual orientation), and ICD-10 categories B20-B24
// and Z21 (HIV), A50-A64 (sexually transmitted infections) and F10-F99 (substance
// use and mental and behavioural disorders; F00-F09, dementia and other organic
// disorders, are left out).
func DefaultSensitivity() SensitivityRules {
	icd10 := []string{"B20", "B21", "B22", "B23", "B24", "Z21",
		"A50", "A51", "A52", "A53", "A54", "A55", "A56", "A57", "A58", "A59",
		"A60", "A61", "A62", "A63", "A64",
		"F1", "F2", "F3", "F4", "F5", "F6", "F7", "F8", "F9"}
	return SensitivityRules{
		Labels: map[string][]string{
			SystemActCode: {"HIV", "STD", "SEX", "SDV", "PSY", "PSYTHPN", "MH", "BH",
				"ETH", "ETHUD", "OPIOIDUD", "SUD", "GDIS"},
			SystemConfidentiality: {"R", "V"},
		},
		Codes: map[string][]string{
			SystemSNOMED: {
				// HIV infection, HIV positive, AIDS
				"86406008", "165816005", "62479008",
				// syphilis, gonorrhoea, chlamydial infection
				"76272004", "15628003", "105629000",
				// depressive disorder, major depressive disorder, bipolar disorder,
				// schizophrenia, anxiety disorder, post-traumatic stress disorder
				"35489007", "370143000", "13746004", "58214004", "197480006", "47505003",
				// alcoholism, alcohol dependence, psychoactive substance dependence,
				// opioid dependence, opioid abuse
				"7200002", "66590003", "2403008", "75544000", "5602001",
				// victim of intimate partner abuse
				"706893006",
				// gender dysphoria, male-to-female and female-to-male transsexual
				"93461009", "407376001", "407377005",
			},
			// HIV status, sexual orientation, gender identity
			SystemLOINC: {"55277-8", "76690-7", "76691-5"},
		},
		CodePrefixes: map[string][]string{SystemICD10: icd10, SystemICD10CM: icd10, SystemICD10UK: icd10},
	}
}

// sensitiveConcepts are the elements whose codes say what a resource is about.
var sensitiveConcepts = []string{"code", "valueCodeableConcept", "reasonCode",
	"medicationCodeableConcept", "vaccineCode"}

// Classify reads a resource's security labels (every meta.security code, any
// system, in order, without repeats) and decides whether it is sensitive: a label
// in Labels, or a code in Codes or CodePrefixes in its main coded elements (code,
// valueCodeableConcept, reasonCode, medicationCodeableConcept, vaccineCode; a
// claim's diagnoses, procedures and items), its own or those of its contained
// resources, which travel with it.
func (r SensitivityRules) Classify(raw []byte) (sensitive bool, labels []string) {
	type classified struct {
		sensitive bool
		labels    []string
	}
	c := withObject(raw, func(res object) classified {
		s, l := r.classify(res)
		return classified{s, l}
	})
	return c.sensitive, c.labels
}

func (r SensitivityRules) classify(res object) (sensitive bool, labels []string) {
	for _, l := range jsonObjs(jsonObj(res, "meta"), "security") {
		code := jsonStr(l, "code")
		if code == "" {
			continue
		}
		if !slices.Contains(labels, code) {
			labels = append(labels, code)
		}
		if r.isSensitiveLabel(jsonStr(l, "system"), code) {
			sensitive = true
		}
	}
	if sensitive {
		return true, labels
	}
	for _, o := range append([]object{res}, jsonObjs(res, "contained")...) {
		for _, c := range resourceCodings(o) {
			if r.isSensitiveCode(c) {
				return true, labels
			}
		}
	}
	return false, labels
}

// resourceCodings lists the codings of one resource's main coded elements.
func resourceCodings(res object) []coding {
	var out []coding
	for _, key := range sensitiveConcepts {
		for _, cc := range jsonObjs(res, key) {
			out = append(out, codingsOf(cc)...)
		}
	}
	claimConcepts := []struct{ list, concept string }{
		{"diagnosis", "diagnosisCodeableConcept"},
		{"procedure", "procedureCodeableConcept"},
		{"item", "productOrService"},
	}
	for _, cc := range claimConcepts {
		for _, e := range jsonObjs(res, cc.list) {
			out = append(out, codingsOf(jsonObj(e, cc.concept))...)
		}
	}
	return out
}

func (r SensitivityRules) isSensitiveLabel(system, code string) bool {
	if system != "" {
		return slices.Contains(r.Labels[system], code)
	}
	for _, codes := range r.Labels {
		if slices.Contains(codes, code) {
			return true
		}
	}
	return false
}

func (r SensitivityRules) isSensitiveCode(c coding) bool {
	if c.Code == "" {
		return false
	}
	if slices.Contains(r.Codes[c.System], c.Code) {
		return true
	}
	code := strings.ToUpper(strings.ReplaceAll(c.Code, ".", ""))
	for _, p := range r.CodePrefixes[c.System] {
		if strings.HasPrefix(code, strings.ToUpper(strings.ReplaceAll(p, ".", ""))) {
			return true
		}
	}
	return false
}
