package data

import "testing"

// The 合计 rule: a county's surplus does not cover another's shortfall, so
// the city's gap is the sum of the counties' gaps, not the gap of the sums.
func TestCityStanding(t *testing.T) {
	c := &Campaign{Counties: []County{
		{Name: "越城", Target: Counts{1, 0, 7, 20}},
		{Name: "柯桥", Target: Counts{0, 1, 7, 20}},
	}}
	done := map[string]Counts{
		"越城": {2, 1, 3, 25}, // over in three, short of 4 city stations
		"柯桥": {0, 0, 9, 12}, // short of a station and 8 enterprises, 2 city stations over
	}
	cs := StandCity(c, done)
	tests := []struct {
		name      string
		got, want Counts
	}{
		{"city gap: the sum of the counties' gaps", cs.Total.Gap, Counts{0, 1, 4, 8}},
		{"city done: the sum", cs.Total.Done, Counts{2, 1, 12, 37}},
		{"city target: the sum", cs.Total.Target, Counts{1, 1, 14, 40}},
		{"city surplus: the sum of the surpluses", cs.Total.Surplus, Counts{1, 1, 2, 5}},
		{"越城 gap", cs.Counties[0].Gap, Counts{0, 0, 4, 0}},
		{"柯桥 surplus", cs.Counties[1].Surplus, Counts{0, 0, 2, 0}},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
	if naive := Stand("", cs.Total.Target, cs.Total.Done).Gap; naive == cs.Total.Gap {
		t.Errorf("the gap of the sums %v equals the city gap: the case does not tell the rules apart", naive)
	}
	if s := cs.Counties[1]; s.Met() || s.NoteOneShort() != 0 {
		t.Errorf("柯桥: met %v, note-1 short %d", s.Met(), s.NoteOneShort())
	}
	if s := Stand("诸暨", Counts{0, 1, 7, 20}, Counts{0, 1, 7, 5}); s.NoteOneShort() != 3 {
		t.Errorf("8 stations and 5 tutored: note 1 short %d, want 3", s.NoteOneShort())
	}
}
