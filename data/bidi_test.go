package data

import "testing"

func TestIsBidiControl(t *testing.T) {
	tests := []struct {
		name string
		r    rune
		want bool
	}{
		{name: "right-to-left override", r: '\u202e', want: true},
		{name: "left-to-right embedding", r: '\u202a', want: true},
		{name: "pop directional formatting", r: '\u202c', want: true},
		{name: "left-to-right isolate", r: '\u2066', want: true},
		{name: "pop directional isolate", r: '\u2069', want: true},
		{name: "left-to-right mark", r: '\u200e', want: true},
		{name: "right-to-left mark", r: '\u200f', want: true},
		{name: "Arabic letter mark", r: '\u061c', want: true},
		{name: "zero-width space is not one", r: '\u200b', want: false},
		{name: "before the isolates", r: '\u2065', want: false},
		{name: "after the overrides", r: '\u202f', want: false},
		{name: "Han", r: '柯', want: false},
		{name: "digit", r: '3', want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsBidiControl(tc.r); got != tc.want {
				t.Errorf("IsBidiControl(%U) = %v, want %v", tc.r, got, tc.want)
			}
		})
	}
}
