package guardianship

import (
	"time"
	_ "time/tzdata" // Europe/London must resolve on machines without a zone database

	"github.com/kith-health/kith/domain/patient"
)

// london is where a child's birthday falls: NHS age rules count in UK calendar days,
// so a birthday begins at midnight in London, not in UTC.
var london = mustLoad("Europe/London")

func mustLoad(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// Date is a calendar day with no time zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// LondonDate is the day it is in London at t.
func LondonDate(t time.Time) Date {
	y, m, d := t.In(london).Date()
	return Date{y, m, d}
}

// Before reports whether d is an earlier day than o.
func (d Date) Before(o Date) bool {
	if d.Year != o.Year {
		return d.Year < o.Year
	}
	if d.Month != o.Month {
		return d.Month < o.Month
	}
	return d.Day < o.Day
}

// String is YYYY-MM-DD.
func (d Date) String() string {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// Start is the instant the day begins in London.
func (d Date) Start() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, london) }

// ParseDate reads YYYY-MM-DD; ok is false for anything else.
func ParseDate(b patient.BirthDate) (Date, bool) {
	t, err := time.Parse(time.DateOnly, b.Value())
	if err != nil {
		return Date{}, false
	}
	return Date{t.Year(), t.Month(), t.Day()}, true
}

// Birthday is the day someone born on born turns years old. Someone born on 29
// February has their birthday on 28 February in common years, as NHS practice has it.
func Birthday(born Date, years int) Date {
	y := born.Year + years
	if born.Month == time.February && born.Day == 29 && !leap(y) {
		return Date{y, time.February, 28}
	}
	return Date{y, born.Month, born.Day}
}

// AgeOn is how many birthdays someone born on born has had by the day today.
func AgeOn(born, today Date) int {
	age := today.Year - born.Year
	if today.Before(Birthday(born, age)) {
		age--
	}
	return max(age, 0)
}

func leap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }
