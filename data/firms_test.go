package data

import (
	"fmt"
	"testing"
)

func TestNear(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		near bool
	}{
		{"legal form left out", "乙领带公司", "乙领带有限公司", true},
		{"有限责任公司", "乙领带有限责任公司", "乙领带有限公司", true},
		{"股份有限公司", "丙股份有限公司", "丙公司", true},
		{"bare name", "乙领带", "乙领带有限公司", true},
		{"厂 is a legal form", "乙领带厂", "乙领带", true},
		{"厂 and 有限公司", "乙领带厂", "乙领带有限公司", true},
		{"集团 then 有限公司", "甲集团有限公司", "甲有限公司", true},
		{"集团 in brackets", "甲（集团）有限公司", "甲公司", true},
		{"county in brackets", "乙领带（嵊州）有限公司", "乙领带有限公司", true},
		{"bracket widths fold", "（嵊州）乙领带有限公司", "(嵊州)乙领带公司", true},
		{"leading 绍兴市", "绍兴市乙领带有限公司", "乙领带公司", true},
		{"leading city and district", "绍兴市柯桥区丁纺织有限公司", "丁纺织有限公司", true},
		{"leading county with 市", "嵊州市乙领带有限公司", "乙领带有限公司", true},
		{"spaces and width", "乙 领带 有限公司", "乙领带有限公司", true},
		{"latin case and width", "ＡＢＣ纺织有限公司", "abc纺织公司", true},
		{"other trade", "甲纺织有限公司", "甲印染有限公司", false},
		{"other trade, no form", "甲纺织", "甲印染", false},
		{"bare county is part of the name", "柯桥纺织示范站", "纺织示范站", false},
		{"other bracketed words stay", "甲（纺织）有限公司", "甲有限公司", false},
		{"a branch is another unit", "甲公司柯桥分公司", "甲公司", false},
		{"other firm", "乙领带有限公司", "丙领带有限公司", false},
		{"only a legal form keys on itself", "公司", "有限公司", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Near(tt.a, tt.b); got != tt.near {
				t.Errorf("Near(%q, %q) = %v, want %v (keys %q, %q)", tt.a, tt.b, got, tt.near, FirmKey(tt.a), FirmKey(tt.b))
			}
			if got := Near(tt.b, tt.a); got != tt.near {
				t.Errorf("Near(%q, %q) = %v, not symmetric", tt.b, tt.a, got)
			}
		})
	}
}

func TestFirmKeyNeverEmpty(t *testing.T) {
	for _, s := range []string{"公司", "有限公司", "厂", "绍兴市", "（嵊州）", "绍兴市公司"} {
		if FirmKey(s) == "" {
			t.Errorf("FirmKey(%q) is empty", s)
		}
	}
}

func TestCutDistinct(t *testing.T) {
	tests := []struct {
		name, in, want string
		marked         bool
	}{
		{"full width", "乙领带公司（另一家）", "乙领带公司", true},
		{"half width", "乙领带公司(另一家) ", "乙领带公司", true},
		{"no mark", "乙领带公司", "乙领带公司", false},
		{"mark inside", "乙（另一家）公司", "乙（另一家）公司", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := cutDistinct(tt.in)
			if got != tt.want || ok != tt.marked {
				t.Errorf("cutDistinct(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.marked)
			}
		})
	}
}

func TestCrossCounty(t *testing.T) {
	names := []Listed{
		{County: "嵊州", Indicator: Tutoring, Name: "乙领带有限公司"},
		{County: "嵊州", Indicator: ProvincialStation, Name: "乙领带有限公司"},
		{County: "柯桥", Indicator: Tutoring, Name: "甲纺织有限公司"},
		{County: "越城", Indicator: Tutoring, Name: "乙领带公司"},
		{County: "越城", Indicator: Tutoring, Name: "甲印染有限公司"},
	}
	got := CrossCounty(names)
	if len(got) != 1 || fmt.Sprint(len(got[0].Names)) != "3" || got[0].Names[2].County != "越城" {
		t.Errorf("CrossCounty = %+v; want one firm, 乙领带, on 3 entries of 嵊州 and 越城", got)
	}
}
