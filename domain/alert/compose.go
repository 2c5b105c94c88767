package alert

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"

	"github.com/kith-health/kith/domain/audit"
)

// Alert is one push: one viewer's accesses to one record, coalesced.
type Alert struct {
	PatientID string
	// Viewer identifies who looked, for coalescing: an organisation's practitioner,
	// or one share-code session.
	Viewer   string
	EventIDs []string
	// EventID is the newest event, which the app opens.
	EventID string
	Parts   int
	// Urgent alerts (break-glass) are always sent at once, whatever the preferences.
	Urgent      bool
	Title, Body string
	CollapseKey string
}

// ViewerOf is who an event's actor is, for coalescing bursts.
func ViewerOf(e audit.Event) string {
	a := e.Actor
	switch a.Kind {
	case audit.ActorOrganisation:
		return "org:" + a.Organisation + ":" + a.PractitionerID + ":" + a.PractitionerName
	case audit.ActorViewer:
		return "viewer:" + a.ID
	}
	return string(a.Kind) + ":" + a.ID
}

// Compose turns one patient's pending events (oldest first) into alerts, one per
// viewer. The text names who looked and how, never what was seen or whose record
// it is: a lock screen is not private.
func Compose(events []audit.Event) []Alert {
	var out []Alert
	index := map[string]int{}
	for _, e := range events {
		v := ViewerOf(e)
		i, ok := index[v]
		if !ok {
			i = len(out)
			index[v] = i
			out = append(out, Alert{PatientID: e.PatientID, Viewer: v})
		}
		a := &out[i]
		a.EventIDs = append(a.EventIDs, e.ID)
		a.EventID = e.ID
		if e.Action != "share-code.redeemed" && e.Action != "break-glass.started" {
			a.Parts++
		}
		if e.Basis == "break-glass" {
			a.Urgent = true
		}
		a.Title, a.Body = words(e, a.Parts, a.Urgent)
	}
	for i := range out {
		out[i].CollapseKey = collapseKey(out[i])
	}
	return out
}

func words(e audit.Event, parts int, urgent bool) (title, body string) {
	who := "Someone"
	switch a := e.Actor; {
	case a.Kind == audit.ActorOrganisation && a.PractitionerName != "" && a.OrganisationName != "":
		who = a.PractitionerName + " at " + a.OrganisationName
	case a.Kind == audit.ActorOrganisation && a.OrganisationName != "":
		who = "Staff at " + a.OrganisationName
	case a.Kind == audit.ActorOrganisation:
		who = "Staff at organisation " + a.Organisation
	case a.Kind == audit.ActorViewer && a.PractitionerName != "":
		who = a.PractitionerName
	}
	how := map[string]string{"grant": "with the access you gave", "break-glass": "using emergency access",
		"share-code": "with your share code", "guardian": "as a guardian"}[e.Basis]
	what := "opened your record"
	if parts > 1 {
		what = fmt.Sprintf("viewed %d parts of your record", parts)
	} else if parts == 1 {
		what = "viewed your record"
	}
	body = who + " " + what
	if how != "" {
		body += " " + how
	}
	if urgent {
		return "Emergency access to your record", body
	}
	return "Your record was viewed", body
}

// collapseKeys is how many collapse keys a device gets for views: FCM keeps at most
// four per device, so viewers share three by hash and break-glass has its own.
const collapseKeys = 3

func collapseKey(a Alert) string {
	if a.Urgent {
		return "kith-emergency"
	}
	sum := sha256.Sum256([]byte(a.Viewer))
	return fmt.Sprintf("kith-view-%d", binary.BigEndian.Uint32(sum[:4])%collapseKeys)
}

// OrganisationOf narrows a viewer to their organisation (or share-code session),
// for patients who want to hear only of a first view by each.
func OrganisationOf(viewer string) string {
	if rest, ok := strings.CutPrefix(viewer, "org:"); ok {
		org, _, _ := strings.Cut(rest, ":")
		return "org:" + org
	}
	return viewer
}

// Digest folds a day's alerts into one: how many people (practitioners or share-code
// viewers) looked, and how many parts. Emergency access is never folded in; it is
// told at once.
func Digest(patientID string, alerts []Alert) Alert {
	d := Alert{PatientID: patientID, Viewer: "digest", CollapseKey: "kith-view-0", Title: "Today's views of your record"}
	for _, a := range alerts {
		d.EventIDs = append(d.EventIDs, a.EventIDs...)
		d.EventID = a.EventID
		d.Parts += max(a.Parts, 1)
	}
	who := "1 person"
	if len(alerts) != 1 {
		who = fmt.Sprintf("%d people", len(alerts))
	}
	d.Body = fmt.Sprintf("%s viewed %d parts of your record today. Open the app to see who.", who, d.Parts)
	if d.Parts == 1 {
		d.Body = who + " viewed your record today. Open the app to see who."
	}
	return d
}
