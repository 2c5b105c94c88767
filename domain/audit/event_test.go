package audit_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/kith-health/kith/domain/audit"
)

func chain(n int) []audit.Event {
	var events []audit.Event
	var prev *audit.Event
	at := time.Date(2026, 11, 23, 9, 0, 0, 123456789, time.UTC)
	for i := 0; i < n; i++ {
		e := audit.Event{
			ID: fmt.Sprintf("e%d", i), PatientID: "p1", At: at.Add(time.Duration(i) * time.Minute),
			Actor:  audit.Actor{Kind: audit.ActorOrganisation, Organisation: "RR8"},
			Action: "record.read", Basis: "grant", Categories: []string{"allergies"}, Outcome: "allowed",
		}.Seal(prev)
		events = append(events, e)
		prev = &events[len(events)-1]
	}
	return events
}

func TestVerifyChain(t *testing.T) {
	cases := []struct {
		name   string
		tamper func([]audit.Event) []audit.Event
		want   int
	}{
		{"untouched chain holds", func(e []audit.Event) []audit.Event { return e }, -1},
		{"altered category breaks at that event", func(e []audit.Event) []audit.Event {
			e[2].Categories = []string{"conditions"}
			return e
		}, 2},
		{"removed event breaks at its successor", func(e []audit.Event) []audit.Event {
			return append(e[:1], e[2:]...)
		}, 1},
		{"reordered events break", func(e []audit.Event) []audit.Event {
			e[1], e[2] = e[2], e[1]
			return e
		}, 1},
		{"moving a category to the route breaks", func(e []audit.Event) []audit.Event {
			e[0].Categories, e[0].Route = nil, "allergies"
			return e
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := audit.VerifyChain(tc.tamper(chain(4))); got != tc.want {
				t.Fatalf("VerifyChain = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSealKeepsStoredPrecision(t *testing.T) {
	e := chain(1)[0]
	if e.At.Nanosecond()%int(time.Millisecond) != 0 || e.At.Location() != time.UTC {
		t.Fatalf("sealed time %v is not UTC milliseconds", e.At)
	}
}

func TestChainWalkFindsTheFirstBreakNewestFirst(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func([]audit.Event) []audit.Event
		wantSeq int64 // 0: the chain holds
	}{
		{"untouched chain holds", func(e []audit.Event) []audit.Event { return e }, 0},
		{"altered reason breaks at that event", func(e []audit.Event) []audit.Event {
			e[3].Reason = "looked by mistake"
			return e
		}, 4},
		{"two alterations report the earlier", func(e []audit.Event) []audit.Event {
			e[4].Route = "/x"
			e[1].Outcome = "denied"
			return e
		}, 2},
		{"removed event breaks at its successor", func(e []audit.Event) []audit.Event {
			return append(e[:2], e[3:]...)
		}, 4},
		{"removed first event breaks the start", func(e []audit.Event) []audit.Event { return e[1:] }, 2},
		{"alert and report are not evidence", func(e []audit.Event) []audit.Event {
			e[2].Alert, e[2].Report = audit.AlertPending, audit.Report{At: time.Now(), Note: "who?"}
			return e
		}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events := c.tamper(chain(6))
			var w audit.ChainWalk
			for i := len(events) - 1; i >= 0; i-- {
				w.Older(events[i])
			}
			b := w.End()
			if (b == nil) != (c.wantSeq == 0) || (b != nil && b.Seq != c.wantSeq) {
				t.Fatalf("End() = %+v, want a break at seq %d", b, c.wantSeq)
			}
		})
	}
}
