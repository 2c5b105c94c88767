package app

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/kith-health/kith/domain/audit"
)

// DescribeEvent puts an access event in a sentence for the patient: who, on what
// basis, what. It is English for now; the app may build its own from the fields.
func DescribeEvent(e audit.Event) string {
	who := describeActor(e.Actor)
	if e.Actor.Kind == audit.ActorViewer && e.Label != "" {
		who = fmt.Sprintf("%s, with your share code %q,", who, e.Label)
	}
	what := describeCategories(e.Categories)
	switch e.Action {
	case "record.summary.read":
		return denied(e, who+" viewed the summary of "+what)
	case "record.entries.listed":
		return denied(e, who+" listed "+what)
	case "record.entry.read":
		return denied(e, who+" opened an item in "+what)
	case "record.exported":
		return denied(e, who+" downloaded "+what)
	case "record.ips.read":
		return denied(e, who+" took a patient summary document of "+what)
	case "record.changes.read":
		return "You synced your record to your phone"
	case "record.erased":
		return "You erased your record"
	case "grant.created":
		return "You let an organisation see " + what
	case "grant.revoked":
		return "You ended an organisation's access to " + what
	case "break-glass.started":
		return fmt.Sprintf("%s used emergency access to your record, saying: %q", who, e.Reason)
	case "break-glass.requested":
		return who + " asked for emergency access; it was refused because you have switched emergency access off"
	case "share-code.issued":
		return "You made a share code for " + what
	case "share-code.revoked":
		return "You ended a share code for " + what
	case "share-code.redeemed":
		return who + " opened a share code for " + what
	case "guardianship.established":
		return fmt.Sprintf("%s recorded %s as acting for you", who, cmp.Or(e.Query, "a guardian"))
	case "guardianship.restricted":
		return who + " restricted a guardian's access"
	case "guardianship.lifted":
		return who + " lifted a restriction on a guardian"
	case "guardianship.changed":
		return who + " changed what a guardian may see"
	case "guardianship.renewed":
		return who + " renewed a guardian's access as a carer"
	case "guardianship.ended":
		return who + " ended a guardian's access"
	case "guardianship.screen.changed":
		return who + " changed what guardians may not see"
	case "settings.changed":
		if strings.Contains(e.Query, "breakGlassAllowed=false") {
			return "You switched emergency access off"
		}
		return "You switched emergency access on"
	}
	return who + ": " + e.Action
}

func denied(e audit.Event, s string) string {
	if e.Outcome == audit.OutcomeDenied {
		return strings.Replace(s, " viewed ", " tried to view ", 1) + " and was refused"
	}
	return s
}

// describeFor is DescribeEvent as reader reads it: a guardian reading a child's log
// is "You" for what they did, and the child is "Your child".
func describeFor(e audit.Event, reader string) string {
	switch {
	case e.Actor.Kind == audit.ActorGuardian && e.Actor.ID == reader:
		e.Actor = audit.Actor{Kind: audit.ActorPatient, ID: reader}
	case e.Actor.Kind == audit.ActorPatient && e.Actor.ID != reader:
		return strings.Replace(DescribeEvent(e), "You ", "Your child ", 1)
	}
	return DescribeEvent(e)
}

func describeActor(a audit.Actor) string {
	switch a.Kind {
	case audit.ActorPatient:
		return "You"
	case audit.ActorGuardian:
		if a.PractitionerName == "" {
			return "Your " + cmp.Or(a.PractitionerRole, "guardian")
		}
		return fmt.Sprintf("%s (your %s)", a.PractitionerName, cmp.Or(a.PractitionerRole, "guardian"))
	case audit.ActorOrganisation:
		org := a.OrganisationName
		if org == "" {
			org = "organisation " + a.Organisation
		}
		if a.PractitionerName == "" {
			return "Staff at " + org
		}
		if a.PractitionerRole == "" {
			return a.PractitionerName + " at " + org
		}
		return fmt.Sprintf("%s (%s) at %s", a.PractitionerName, a.PractitionerRole, org)
	case audit.ActorOperator:
		return "A Kith operator"
	case audit.ActorViewer:
		switch {
		case a.PractitionerName != "" && a.PractitionerRole != "":
			return fmt.Sprintf("%s (%s)", a.PractitionerName, a.PractitionerRole)
		case a.PractitionerName != "":
			return a.PractitionerName
		}
	}
	return "Someone"
}

func describeCategories(cs []string) string {
	switch len(cs) {
	case 0:
		return "your record"
	case 1:
		return "your " + cs[0]
	}
	return "your " + strings.Join(cs[:len(cs)-1], ", ") + " and " + cs[len(cs)-1]
}
