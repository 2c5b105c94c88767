package guardianship

import (
	"slices"
	"time"

	"github.com/kith-health/kith/domain/patient"
	"github.com/kith-health/kith/domain/record"
)

// Policy is a deployment's proxy rules. DefaultPolicy is the national default.
type Policy struct {
	// ReviewAge is when the guardianship is due for review and the guardian's
	// reading narrows to TeenCategories.
	ReviewAge int
	// SuspendForReviewAge, when not zero, suspends a guardianship not reviewed
	// since that birthday (13 is the usual choice; off by default).
	SuspendForReviewAge int
	// AdultAge is the birthday from which a guardianship is suspended unless the
	// young person renewed it.
	AdultAge int
	// NoticeDays is how long before AdultAge guardian and young person are told.
	NoticeDays int
	// UnusedYears lapses a guardianship no guardian action has used for that long.
	UnusedYears int
	// TeenCategories are what a guardian keeps from ReviewAge, unless the young
	// person grants more.
	TeenCategories []record.Category
}

// DefaultPolicy is NHS England's proxy default.
var DefaultPolicy = Policy{
	ReviewAge: 11, AdultAge: 16, NoticeDays: 30, UnusedYears: 5,
	TeenCategories: []record.Category{record.Demographics, record.Immunizations, record.Encounters},
}

// Band is the child's age band, which sets the defaults.
type Band string

const (
	BandUnder11 Band = "under-11"
	Band11To15  Band = "11-to-15"
	Band16Plus  Band = "16-and-over"
)

// Standing is what one guardianship lets its guardian do at one moment.
type Standing struct {
	InForce bool
	// Reason says why it is not in force (or, in force, why it is due for review).
	Reason string
	Age    int
	Band   Band
	// Read lists the categories the guardian may read: never sensitive entries.
	Read []record.Category
	// Manage is whether the guardian may change who sees the record (grants, share
	// codes, exchange links, settings, uploads): only for a child under ReviewAge.
	Manage bool
	// Alerts is whether the guardian is told of views of the child's record.
	Alerts     bool
	ReviewDue  bool
	AdultOn    Date // the AdultAge birthday
	NoticeFrom Date // from this day guardian and young person are told of AdultOn
}

// Notice reports whether the coming AdultAge birthday is to be told today.
func (s Standing) Notice(today Date) bool {
	return s.InForce && !today.Before(s.NoticeFrom) && today.Before(s.AdultOn)
}

// Evaluate decides what g allows at now for a child born on birth. A child whose
// date of birth is unknown is treated as 11 to 15: the narrower default, until an
// organisation records it.
func (p Policy) Evaluate(g Guardianship, birth patient.BirthDate, screen Screen, now time.Time) Standing {
	today := LondonDate(now)
	s := Standing{Band: Band11To15, Age: -1}
	born, known := ParseDate(birth)
	if known {
		s.Age = AgeOn(born, today)
		s.AdultOn = Birthday(born, p.AdultAge)
		s.NoticeFrom = LondonDate(s.AdultOn.Start().AddDate(0, 0, -p.NoticeDays))
		switch {
		case s.Age < p.ReviewAge:
			s.Band = BandUnder11
		case s.Age >= p.AdultAge:
			s.Band = Band16Plus
		}
	}
	switch {
	case g.Restriction != nil:
		s.Reason = ReasonRestricted
		return s
	case g.Status == Proposed:
		s.Reason = ReasonProposed
		return s
	case g.Status != Active:
		s.Reason = g.StatusReason
		if s.Reason == "" {
			s.Reason = ReasonSuspended
		}
		return s
	case now.Before(g.Start):
		s.Reason = ReasonNotStarted
		return s
	case !g.End.IsZero() && !now.Before(g.End):
		s.Reason = ReasonEnded
		return s
	case p.UnusedYears > 0 && !g.LastActionAt.IsZero() && !now.Before(g.LastActionAt.AddDate(p.UnusedYears, 0, 0)):
		s.Reason = ReasonUnused
		return s
	}
	if g.Renewed || g.LegalBasis == PatientConsent {
		// The person's own consent (an adult's carer, or a young person who renewed
		// at 16): what they chose, and nothing to manage for them.
		s.InForce, s.Alerts = true, true
		s.Read = p.screened(capped(record.Categories, g.Access), screen)
		return s
	}
	switch s.Band {
	case Band16Plus:
		s.Reason = ReasonTurned16
		return s
	case BandUnder11:
		s.InForce, s.Manage, s.Alerts = true, true, true
		s.Read = p.screened(capped(record.Categories, g.Access), screen)
		return s
	}
	reviewed := known && !g.ReviewedAt.IsZero() && !LondonDate(g.ReviewedAt).Before(Birthday(born, p.ReviewAge))
	if p.SuspendForReviewAge > 0 && known && s.Age >= p.SuspendForReviewAge &&
		(g.ReviewedAt.IsZero() || LondonDate(g.ReviewedAt).Before(Birthday(born, p.SuspendForReviewAge))) {
		s.Reason = ReasonReviewDue
		return s
	}
	s.InForce, s.Alerts, s.ReviewDue = true, true, !reviewed
	if s.ReviewDue {
		s.Reason = ReasonReviewDue
	}
	teen := append(slices.Clone(p.TeenCategories), g.ChildGranted...)
	s.Read = p.screened(capped(teen, g.Access), screen)
	return s
}

// capped keeps the categories of cs that the establisher's cap allows, in the
// app's order.
func capped(cs, limit []record.Category) []record.Category {
	var out []record.Category
	for _, c := range record.Categories {
		if slices.Contains(cs, c) && (len(limit) == 0 || slices.Contains(limit, c)) {
			out = append(out, c)
		}
	}
	return out
}

func (Policy) screened(cs []record.Category, screen Screen) []record.Category {
	return slices.DeleteFunc(cs, screen.HidesCategory)
}
