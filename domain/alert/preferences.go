package alert

import (
	"fmt"
	"time"

	"github.com/kith-health/kith/domain/fault"
)

// DigestHour is when, UK time, a patient who chose a daily digest hears of the
// day's views: early evening, once the working day is over.
const DigestHour = 18

// London is the clock alerts keep: patients think in UK time wherever Kith runs.
var London = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// QuietHours is a daily span, UK time, in which routine alerts wait; it may run
// past midnight (22:00 to 07:00). Zero Start and End mean none.
type QuietHours struct {
	Start, End Clock
}

// Clock is a time of day in minutes after midnight.
type Clock int

// ParseClock reads "HH:MM".
func ParseClock(field, s string) (Clock, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		return 0, fault.Invalid(field, "HH:MM")
	}
	return Clock(t.Hour()*60 + t.Minute()), nil
}

func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// None reports whether no quiet hours are set.
func (q QuietHours) None() bool { return q.Start == q.End }

// Until says when the quiet hours around now end, or zero when now is not in them.
func (q QuietHours) Until(now time.Time) time.Time {
	if q.None() {
		return time.Time{}
	}
	local := now.In(London)
	minute := Clock(local.Hour()*60 + local.Minute())
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, London)
	at := func(day time.Time, c Clock) time.Time {
		return time.Date(day.Year(), day.Month(), day.Day(), int(c)/60, int(c)%60, 0, 0, London)
	}
	switch {
	case q.Start < q.End && minute >= q.Start && minute < q.End: // 13:00-14:00
		return at(midnight, q.End)
	case q.Start > q.End && minute >= q.Start: // 22:00-07:00, before midnight
		return at(midnight.AddDate(0, 0, 1), q.End)
	case q.Start > q.End && minute < q.End: // 22:00-07:00, after midnight
		return at(midnight, q.End)
	}
	return time.Time{}
}

// NextDigest is the first digest time after t.
func NextDigest(t time.Time) time.Time {
	local := t.In(London)
	d := time.Date(local.Year(), local.Month(), local.Day(), DigestHour, 0, 0, 0, London)
	if !d.After(t) {
		d = time.Date(local.Year(), local.Month(), local.Day()+1, DigestHour, 0, 0, 0, London)
	}
	return d
}
