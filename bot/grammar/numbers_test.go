package grammar

import "testing"

func TestGrammarHanValue(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"零", 0, true}, {"一", 1, true}, {"两", 2, true}, {"十", 10, true}, {"十五", 15, true},
		{"二十", 20, true}, {"二十五", 25, true}, {"一百", 100, true}, {"一百零五", 105, true},
		{"两千", 2000, true}, {"一〇〇", 100, true}, {"三四十", 0, false}, {"十十", 0, false},
	} {
		got, ok := hanValue(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("hanValue(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
