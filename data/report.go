package data

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"
)

// Figure is one indicator's progress. For 合计, Gap is the sum of the
// counties' gaps (see CityStanding), not target minus done.
type Figure struct {
	Done   int `json:"done"`
	Target int `json:"target"`
	Gap    int `json:"gap"`
}

// Figures is the four indicators of one row of 附件1.
type Figures struct {
	Zone              Figure `json:"zone"`
	ProvincialStation Figure `json:"provincial_station"`
	CityStation       Figure `json:"city_station"`
	Tutoring          Figure `json:"tutoring"`
}

// CountyReport is one county's row.
type CountyReport struct {
	County string `json:"county"`
	Figures
}

// Report is the city table, for scripts and dashboards.
type Report struct {
	Campaign string         `json:"campaign"`
	AsOf     string         `json:"as_of"`
	Counties []CountyReport `json:"counties"`
	Total    Figures        `json:"total"`
}

func figures(s Standing) Figures {
	f := func(ind Indicator) Figure { return Figure{s.Done[ind], s.Target[ind], s.Gap[ind]} }
	return Figures{Zone: f(Zone), ProvincialStation: f(ProvincialStation), CityStation: f(CityStation), Tutoring: f(Tutoring)}
}

// BuildReport puts the totals against the targets, county by county.
func BuildReport(c *Campaign, done map[string]Counts, now time.Time) Report {
	r := Report{Campaign: c.Name, AsOf: now.In(c.Location).Format(time.RFC3339), Counties: []CountyReport{}}
	cs := StandCity(c, done)
	for _, s := range cs.Counties {
		r.Counties = append(r.Counties, CountyReport{County: s.County, Figures: figures(s)})
	}
	r.Total = figures(cs.Total)
	return r
}

// WriteCSV writes the report as CSV: one row per county, then 合计.
func (r Report) WriteCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	head := []string{"county"}
	for _, ind := range Indicators {
		head = append(head, ind.Key()+"_done", ind.Key()+"_target", ind.Key()+"_gap")
	}
	rows := [][]string{head}
	row := func(name string, f Figures) []string {
		out := []string{name}
		for _, fig := range []Figure{f.Zone, f.ProvincialStation, f.CityStation, f.Tutoring} {
			out = append(out, strconv.Itoa(fig.Done), strconv.Itoa(fig.Target), strconv.Itoa(fig.Gap))
		}
		return out
	}
	for _, c := range r.Counties {
		rows = append(rows, row(c.County, c.Figures))
	}
	rows = append(rows, row("合计", r.Total))
	if err := cw.WriteAll(rows); err != nil {
		return fmt.Errorf("report: csv: %w", err)
	}
	return nil
}
