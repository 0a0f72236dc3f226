package data

// Gap is what is still missing of each target: zero where the target is
// met or exceeded (the targets are minimums, 备注2).
func Gap(target, done Counts) Counts {
	var g Counts
	for i := range g {
		g[i] = max(0, target[i]-done[i])
	}
	return g
}

// CityGap is the city's gap: the sum of the counties' gaps. Each target is
// a county's own minimum, so one county's surplus does not make up for
// another's shortfall; the city's done and target stay the plain sums.
func CityGap(c *Campaign, done map[string]Counts) Counts {
	var g Counts
	for _, co := range c.Counties {
		g = g.Add(Gap(co.Target, done[co.Name]))
	}
	return g
}
