package data

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestNearNameRefusedWithTheListedOne(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := Author{UserID: 7, Name: "张三"}
	if _, err := s.Record(ctx, a, []Change{named("嵊州", Tutoring, 2, "乙领带有限公司", "甲纺织有限公司")}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change Change
		listed string // the near name the refusal names; "" for no refusal
	}{
		{"legal form left out", named("嵊州", Tutoring, 1, "乙领带公司"), "乙领带有限公司"},
		{"county in brackets", named("嵊州", Tutoring, 1, "乙领带（嵊州）有限责任公司"), "乙领带有限公司"},
		{"near within the message", named("嵊州", Tutoring, 2, "丁公司", "丁有限公司"), "丁公司"},
		{"another trade is another firm", named("嵊州", Tutoring, 1, "甲印染有限公司"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Record(ctx, a, []Change{tt.change})
			var ne *NameError
			switch {
			case tt.listed == "" && err != nil:
				t.Fatalf("err = %v, want it recorded", err)
			case tt.listed == "":
				return
			case !errors.As(err, &ne) || ne.Problem != NameNear:
				t.Fatalf("err = %v, want NameNear", err)
			case ne.Listed == nil || ne.Listed.Name != tt.listed || ne.Name != tt.change.Names[len(tt.change.Names)-1]:
				t.Fatalf("refusal %+v: want %q against listed %q", ne, tt.change.Names, tt.listed)
			}
		})
	}
	if got := listNames(t, s, "嵊州", Tutoring); fmt.Sprint(got) != "[乙领带有限公司 甲纺织有限公司 甲印染有限公司]" {
		t.Errorf("list = %v: a refused near name was written", got)
	}

	// Marked as another firm, it is recorded once, without the mark.
	if _, err := s.Record(ctx, a, []Change{named("嵊州", Tutoring, 1, "乙领带公司"+DistinctMark)}); err != nil {
		t.Fatalf("marked distinct: %v", err)
	}
	if got := listNames(t, s, "嵊州", Tutoring); fmt.Sprint(got) != "[乙领带有限公司 甲纺织有限公司 甲印染有限公司 乙领带公司]" {
		t.Errorf("list = %v after the marked name", got)
	}
	// The mark skips the near check only: the exact name is still a duplicate.
	_, err := s.Record(ctx, a, []Change{named("嵊州", Tutoring, 1, "乙领带公司"+DistinctMark)})
	if p, ok := nameProblem(err); !ok || p != NameDuplicate {
		t.Errorf("marked exact duplicate: err = %v, want NameDuplicate", err)
	}
	// A mark and nothing else is no name.
	_, err = s.Record(ctx, a, []Change{named("嵊州", Tutoring, 1, DistinctMark)})
	if p, ok := nameProblem(err); !ok || p != NameInvalid {
		t.Errorf("bare mark: err = %v, want NameInvalid", err)
	}
}

func TestNearNameOnAnotherCountysList(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := Author{UserID: 7, Name: "张三"}
	if _, err := s.Record(ctx, a, []Change{named("嵊州", Tutoring, 1, "乙领带有限公司")}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Record(ctx, a, []Change{named("越城", Tutoring, 2, "乙领带公司", "丙公司")})
	if err != nil {
		t.Fatalf("another county's list is no refusal: %v", err)
	}
	if len(out.Elsewhere) != 1 || out.Elsewhere[0].Name != "乙领带公司" || out.Elsewhere[0].County != "越城" ||
		out.Elsewhere[0].Listed.County != "嵊州" || out.Elsewhere[0].Listed.Name != "乙领带有限公司" {
		t.Errorf("Elsewhere = %+v; want 乙领带公司 (越城) against 嵊州's 乙领带有限公司", out.Elsewhere)
	}
	// The county's own other list (a station is tutored too) is not elsewhere.
	out, err = s.Record(ctx, a, []Change{named("嵊州", CityStation, 1, "乙领带有限公司")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Elsewhere) != 1 || out.Elsewhere[0].Listed.County != "越城" {
		t.Errorf("Elsewhere = %+v; want only 越城's", out.Elsewhere)
	}
	// An undo that puts a name back flags nothing.
	rm, err := s.Record(ctx, a, []Change{named("越城", Tutoring, -1, "乙领带公司")})
	if err != nil {
		t.Fatal(err)
	}
	back, err := s.Undo(ctx, a, rm.Batch.ID)
	if err != nil || len(back.Elsewhere) != 0 {
		t.Errorf("undo: err %v, Elsewhere %+v", err, back.Elsewhere)
	}
}
