package grammar

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"tsbot/data"
)

// checkParsed asserts the invariants of Parse on any input.
func checkParsed(t *testing.T, c *data.Campaign, in string) {
	p, err := Parse(in, c)
	if err != nil {
		if !reflect.DeepEqual(p, Parsed{}) {
			t.Fatalf("Parse(%q) returned both %+v and %v", in, p, err)
		}
		var ie *InputError
		var a *Ambiguity
		switch {
		case errors.As(err, &ie):
			if ie.Msg == "" || ie.Line < 0 {
				t.Fatalf("Parse(%q): bad InputError %+v", in, ie)
			}
		case errors.As(err, &a):
			if len(a.Options) < 2 || len(a.Options) != len(a.Labels) || a.Line < 1 {
				t.Fatalf("Parse(%q): bad Ambiguity %+v", in, a)
			}
			for _, opt := range a.Options {
				if !utf8.ValidString(opt) {
					t.Fatalf("Parse(%q): option %q is not UTF-8", in, opt)
				}
				_, err2 := Parse(opt, c)
				var a2 *Ambiguity
				if errors.As(err2, &a2) && a2.Line == a.Line && a2.part == a.part {
					t.Fatalf("Parse(%q): option %q is ambiguous again: %v", in, opt, a2)
				}
			}
		default:
			t.Fatalf("Parse(%q): error of type %T: %v", in, err, err)
		}
		return
	}
	switch p.Intent {
	case Chatter:
		if len(p.Changes) != 0 || p.County != "" {
			t.Fatalf("Parse(%q): wantChatter with content %+v", in, p)
		}
	case Query:
		if len(p.Changes) != 0 {
			t.Fatalf("Parse(%q): wantQuery with changes %+v", in, p)
		}
		if _, ok := c.County(p.County); p.County != "" && !ok {
			t.Fatalf("Parse(%q): wantQuery for unknown county %q", in, p.County)
		}
	case Update:
		if len(p.Changes) == 0 || len(p.Changes) > MaxChanges {
			t.Fatalf("Parse(%q): %d changes", in, len(p.Changes))
		}
		for _, ch := range p.Changes {
			if !ch.Indicator.Valid() {
				t.Fatalf("Parse(%q): invalid indicator in %+v", in, ch)
			}
			if co, ok := c.County(ch.County); ch.County != "" && (!ok || co.Name != ch.County) {
				t.Fatalf("Parse(%q): unknown county in %+v", in, ch)
			}
			switch ch.Op {
			case OpAdd:
				if ch.Amount == 0 || ch.Amount > MaxAmount || ch.Amount < -MaxAmount {
					t.Fatalf("Parse(%q): bad delta in %+v", in, ch)
				}
			case OpSet:
				if ch.Amount < 0 || ch.Amount > MaxAmount {
					t.Fatalf("Parse(%q): bad total in %+v", in, ch)
				}
			default:
				t.Fatalf("Parse(%q): bad op in %+v", in, ch)
			}
			if ch.Line == "" {
				t.Fatalf("Parse(%q): empty Line in %+v", in, ch)
			}
		}
	default:
		t.Fatalf("Parse(%q): bad intent %d", in, p.Intent)
	}
}

func TestGrammarInvariantsOnTable(t *testing.T) {
	c := grammarCampaign(t)
	for _, tc := range grammarCases {
		checkParsed(t, c, tc.in)
	}
}

func FuzzParse(f *testing.F) {
	for _, tc := range grammarCases {
		f.Add(tc.in)
	}
	c := grammarCampaign(f)
	f.Fuzz(func(t *testing.T, in string) {
		checkParsed(t, c, in)
	})
}

// The fuzzer mutates bytes; this walks the grammar's own vocabulary, glued in
// every order, so the invariants are also checked deep inside the grammar.
func TestGrammarCombinations(t *testing.T) {
	c := grammarCampaign(t)
	pieces := []string{
		"柯桥", "绍兴市诸暨市", "新昌县", "柯乔", "宁波市", "全市", "辅导企业", "辅导", "示范站", "示范点", "省级示范站(点)",
		"市县级站", "市级示范站", "示范区", "+", "-", "=", "＋３", "3", "三", "十五", "0", "1001", "新增", "累计达到", "共",
		"减少", "家", "个", "几", "10多", "3.5", "甲公司", "、", "，", "；", "。", ":", " ", "　", "\n", "进度", "查", "了",
		"今天", "统一", "@bot", "（", "）", "👍", "\u200b", "2027-09-30",
	}
	// A fixed linear congruential sequence: reproducible, no global rand.
	seed := uint64(1)
	next := func(n int) int {
		seed = seed*6364136223846793005 + 1442695040888963407
		return int((seed >> 33) % uint64(n))
	}
	for range 30000 {
		var b strings.Builder
		for range 1 + next(12) {
			b.WriteString(pieces[next(len(pieces))])
		}
		checkParsed(t, c, b.String())
	}
}
