package data

import (
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// The State Council's holiday schedule (国务院办公厅关于部分节假日安排的通知):
// the days off and the make-up working days (调休上班) of each year, as
// github.com/6tail/lunar-go carries them. The notice for a year comes out in
// the November before, and a lunar-go release carries every year up to the
// latest notice; a year after that has no entries at all, which is how
// OfficialSchedule tells "no data" from "no holiday".

// OfficialDay is one date of the schedule.
type OfficialDay struct {
	Date time.Time // local midnight
	Name string    // 中秋节, 国庆节 …
	Work bool      // a make-up working day (调休上班); otherwise a day off
}

// OfficialSchedule returns the schedule's dates in year, in date order, read
// in loc. ok is false when lunar-go carries no schedule for year (a year
// beyond its latest release, or before 2001): then only weekends are off.
func OfficialSchedule(year int, loc *time.Location) (days []OfficialDay, ok bool) {
	for e := HolidayUtil.GetHolidaysByYear(year).Front(); e != nil; e = e.Next() {
		h := e.Value.(*HolidayUtil.Holiday)
		d, err := time.ParseInLocation(dateLayout, h.GetDay(), loc)
		if err != nil || d.Year() != year {
			continue // not a date of year: lunar-go's data is a fixed string, so this does not happen
		}
		days = append(days, OfficialDay{Date: d, Name: h.GetName(), Work: h.IsWork()})
	}
	return days, len(days) > 0
}

// OfficialName is the name of the holiday t's date belongs to in the State
// Council's schedule (a make-up working day belongs to the holiday it makes
// up for), or "" if the schedule does not list it.
func OfficialName(t time.Time) string {
	if h := HolidayUtil.GetHolidayByYmd(t.Year(), int(t.Month()), t.Day()); h != nil {
		return h.GetName()
	}
	return ""
}
