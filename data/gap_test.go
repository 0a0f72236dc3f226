package data

import "testing"

func TestCityGap(t *testing.T) {
	c := &Campaign{Counties: []County{
		{Name: "越城", Target: Counts{1, 0, 7, 20}},
		{Name: "柯桥", Target: Counts{0, 1, 7, 20}},
	}}
	done := map[string]Counts{
		"越城": {2, 1, 3, 25}, // over in three, short of 4 city stations
		"柯桥": {0, 0, 9, 12}, // short of a station and 8 enterprises, 2 city stations over
	}
	if got, want := CityGap(c, done), (Counts{0, 1, 4, 8}); got != want {
		t.Errorf("CityGap = %v, want %v: a surplus does not cover another county's shortfall", got, want)
	}
	if got, want := Gap(c.Total(), done["越城"].Add(done["柯桥"])), (Counts{0, 0, 2, 3}); got != want {
		t.Errorf("the gap of the sums = %v, want %v (what the city gap is not)", got, want)
	}
}
