package telegram

import (
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	long := strings.Repeat("柯", 10)
	tests := []struct {
		name  string
		text  string
		limit int
		want  []string
	}{
		{"fits", "一\n二\n", 10, []string{"一\n二\n"}},
		{"at line breaks", "一一一\n二二二\n三三三\n", 8, []string{"一一一\n二二二", "三三三"}},
		{"a line longer than a message", "一\n" + long + "\n二", 4, []string{"一", "柯柯柯柯", "柯柯柯柯", "柯柯\n二"}},
		{"astral runes count twice", "😀😀😀", 4, []string{"😀😀", "😀"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := split(tt.text, tt.limit)
			if !slices.Equal(got, tt.want) {
				t.Errorf("split = %q, want %q", got, tt.want)
			}
		})
	}
}
