package record

// r4ResourceTypes is every concrete resource type of FHIR R4 (4.0.1): the
// resourceType discriminator of the R4 JSON Schema (fhir.schema.json), 146 names.
// The abstract Resource and DomainResource are not among them: nothing is sent as those.
var r4ResourceTypes = map[string]struct{}{
	"Account": {}, "ActivityDefinition": {}, "AdverseEvent": {}, "AllergyIntolerance": {},
	"Appointment": {}, "AppointmentResponse": {}, "AuditEvent": {}, "Basic": {},
	"Binary": {}, "BiologicallyDerivedProduct": {}, "BodyStructure": {}, "Bundle": {},
	"CapabilityStatement": {}, "CarePlan": {}, "CareTeam": {}, "CatalogEntry": {},
	"ChargeItem": {}, "ChargeItemDefinition": {}, "Claim": {}, "ClaimResponse": {},
	"ClinicalImpression": {}, "CodeSystem": {}, "Communication": {},
	"CommunicationRequest": {}, "CompartmentDefinition": {}, "Composition": {},
	"ConceptMap": {}, "Condition": {}, "Consent": {}, "Contract": {}, "Coverage": {},
	"CoverageEligibilityRequest": {}, "CoverageEligibilityResponse": {},
	"DetectedIssue": {}, "Device": {}, "DeviceDefinition": {}, "DeviceMetric": {},
	"DeviceRequest": {}, "DeviceUseStatement": {}, "DiagnosticReport": {},
	"DocumentManifest": {}, "DocumentReference": {}, "EffectEvidenceSynthesis": {},
	"Encounter": {}, "Endpoint": {}, "EnrollmentRequest": {}, "EnrollmentResponse": {},
	"EpisodeOfCare": {}, "EventDefinition": {}, "Evidence": {}, "EvidenceVariable": {},
	"ExampleScenario": {}, "ExplanationOfBenefit": {}, "FamilyMemberHistory": {},
	"Flag": {}, "Goal": {}, "GraphDefinition": {}, "Group": {}, "GuidanceResponse": {},
	"HealthcareService": {}, "ImagingStudy": {}, "Immunization": {},
	"ImmunizationEvaluation": {}, "ImmunizationRecommendation": {},
	"ImplementationGuide": {}, "InsurancePlan": {}, "Invoice": {}, "Library": {},
	"Linkage": {}, "List": {}, "Location": {}, "Measure": {}, "MeasureReport": {},
	"Media": {}, "Medication": {}, "MedicationAdministration": {}, "MedicationDispense": {},
	"MedicationKnowledge": {}, "MedicationRequest": {}, "MedicationStatement": {},
	"MedicinalProduct": {}, "MedicinalProductAuthorization": {},
	"MedicinalProductContraindication": {}, "MedicinalProductIndication": {},
	"MedicinalProductIngredient": {}, "MedicinalProductInteraction": {},
	"MedicinalProductManufactured": {}, "MedicinalProductPackaged": {},
	"MedicinalProductPharmaceutical": {}, "MedicinalProductUndesirableEffect": {},
	"MessageDefinition": {}, "MessageHeader": {}, "MolecularSequence": {},
	"NamingSystem": {}, "NutritionOrder": {}, "Observation": {},
	"ObservationDefinition": {}, "OperationDefinition": {}, "OperationOutcome": {},
	"Organization": {}, "OrganizationAffiliation": {}, "Parameters": {}, "Patient": {},
	"PaymentNotice": {}, "PaymentReconciliation": {}, "Person": {}, "PlanDefinition": {},
	"Practitioner": {}, "PractitionerRole": {}, "Procedure": {}, "Provenance": {},
	"Questionnaire": {}, "QuestionnaireResponse": {}, "RelatedPerson": {},
	"RequestGroup": {}, "ResearchDefinition": {}, "ResearchElementDefinition": {},
	"ResearchStudy": {}, "ResearchSubject": {}, "RiskAssessment": {},
	"RiskEvidenceSynthesis": {}, "Schedule": {}, "SearchParameter": {},
	"ServiceRequest": {}, "Slot": {}, "Specimen": {}, "SpecimenDefinition": {},
	"StructureDefinition": {}, "StructureMap": {}, "Subscription": {}, "Substance": {},
	"SubstanceNucleicAcid": {}, "SubstancePolymer": {}, "SubstanceProtein": {},
	"SubstanceReferenceInformation": {}, "SubstanceSourceMaterial": {},
	"SubstanceSpecification": {}, "SupplyDelivery": {}, "SupplyRequest": {}, "Task": {},
	"TerminologyCapabilities": {}, "TestReport": {}, "TestScript": {}, "ValueSet": {},
	"VerificationResult": {}, "VisionPrescription": {},
}

// notR4ResourceTypes are names a client may plausibly send that belong to FHIR
// STU3 (removed or renamed by R4) or R5 (new there), so the error can say "wrong
// FHIR version" rather than "no such type". A short list of the likely ones, not
// every type of every release.
var notR4ResourceTypes = map[string]struct{}{
	// STU3, gone in R4.
	"BodySite": {}, "DataElement": {}, "DeviceComponent": {}, "EligibilityRequest": {},
	"EligibilityResponse": {}, "ExpansionProfile": {}, "ImagingManifest": {},
	"ProcedureRequest": {}, "ProcessRequest": {}, "ProcessResponse": {},
	"ReferralRequest": {}, "Sequence": {}, "ServiceDefinition": {},
	// New in R5.
	"ActorDefinition": {}, "AdministrableProductDefinition": {}, "ArtifactAssessment": {},
	"BiologicallyDerivedProductDispense": {}, "Citation": {}, "ClinicalUseDefinition": {},
	"ConditionDefinition": {}, "DeviceDispense": {}, "DeviceUsage": {},
	"EncounterHistory": {}, "EvidenceReport": {}, "FormularyItem": {}, "GenomicStudy": {},
	"ImagingSelection": {}, "Ingredient": {}, "InventoryItem": {}, "InventoryReport": {},
	"ManufacturedItemDefinition": {}, "MedicinalProductDefinition": {},
	"NutritionIntake": {}, "NutritionProduct": {}, "PackagedProductDefinition": {},
	"Permission": {}, "RegulatedAuthorization": {}, "RequestOrchestration": {},
	"Requirements": {}, "SubscriptionStatus": {}, "SubscriptionTopic": {}, "TestPlan": {},
	"Transport": {},
}

// IsR4ResourceType reports whether name is a concrete FHIR R4 resource type.
func IsR4ResourceType(name string) bool {
	_, ok := r4ResourceTypes[name]
	return ok
}
