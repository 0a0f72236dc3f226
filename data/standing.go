package data

// Where each county, and the city, stands against its targets: computed here
// once, and rendered by every reply, reminder, report and spreadsheet. Two
// renderers that work out a gap themselves drift apart (they did).

// Standing is one county's figures against its targets, or the city's.
type Standing struct {
	County string // "" for the city
	Done   Counts
	Target Counts
	// Gap is what is still missing of each target (never below zero:
	// targets are minimums, 备注2); Surplus what was done beyond it.
	Gap     Counts
	Surplus Counts
	// Stations is the number of demonstration stations cultivated
	// (provincial and city level). Note 1 of the notice: the tutored
	// enterprises include them, so Done[Tutoring] may not be below it.
	Stations int
}

// Stand is a county's standing from its figures.
func Stand(county string, target, done Counts) Standing {
	s := Standing{County: county, Done: done, Target: target}
	for _, ind := range Indicators {
		s.Gap[ind] = max(0, target[ind]-done[ind])
		s.Surplus[ind] = max(0, done[ind]-target[ind])
	}
	s.Stations = done[ProvincialStation] + done[CityStation]
	return s
}

// Met reports whether every target is reached.
func (s Standing) Met() bool { return s.Gap == Counts{} }

// NoTarget reports an indicator the county has neither a target nor any
// progress for: nothing to show.
func (s Standing) NoTarget(ind Indicator) bool { return s.Target[ind] == 0 && s.Done[ind] == 0 }

// NoteOneShort is how many tutored enterprises are missing for the count to
// include the cultivated stations (note 1); 0 when it does.
func (s Standing) NoteOneShort() int { return max(0, s.Stations-s.Done[Tutoring]) }

// Unnamed is, per indicator, how many of the recorded units carry no name
// on the list, given how many are named.
func (s Standing) Unnamed(named Counts) Counts {
	var u Counts
	for _, ind := range Indicators {
		u[ind] = max(0, s.Done[ind]-named[ind])
	}
	return u
}

// Sum adds up the figures of the given indicators (all four when none).
func (c Counts) Sum(inds ...Indicator) int {
	if len(inds) == 0 {
		inds = Indicators[:]
	}
	n := 0
	for _, ind := range inds {
		n += c[ind]
	}
	return n
}

// CityStanding is every county's standing and the city's (合计).
type CityStanding struct {
	Counties []Standing // in the campaign's order
	// Total is 合计: Done and Target are the sums; Gap is the sum of the
	// counties' gaps, since one county's surplus does not make up for
	// another's shortfall (each target is that county's minimum); Surplus
	// is the sum of the surpluses.
	Total Standing
}

// StandCity is the city's standing from the totals of every county.
func StandCity(c *Campaign, done map[string]Counts) CityStanding {
	var cs CityStanding
	cs.Total.County = ""
	for _, co := range c.Counties {
		s := Stand(co.Name, co.Target, done[co.Name])
		cs.Counties = append(cs.Counties, s)
		cs.Total.Done = cs.Total.Done.Add(s.Done)
		cs.Total.Target = cs.Total.Target.Add(s.Target)
		cs.Total.Gap = cs.Total.Gap.Add(s.Gap)
		cs.Total.Surplus = cs.Total.Surplus.Add(s.Surplus)
		cs.Total.Stations += s.Stations
	}
	return cs
}

// County is one county's standing; false for a county the campaign lacks.
func (cs CityStanding) County(name string) (Standing, bool) {
	for _, s := range cs.Counties {
		if s.County == name {
			return s, true
		}
	}
	return Standing{}, false
}

// StandCounty is one county's standing from the totals; a county the
// campaign lacks stands against no targets.
func StandCounty(c *Campaign, county string, done Counts) Standing {
	var target Counts
	if co, ok := c.County(county); ok {
		target = co.Target
	}
	return Stand(county, target, done)
}
