package data

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

func named(county string, ind Indicator, n int, names ...string) Change {
	c := add(county, ind, n)
	c.Names = names
	return c
}

func listNames(t *testing.T, s *Store, county string, ind Indicator) []string {
	t.Helper()
	ls, err := s.Names(context.Background(), county)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		if l.Indicator == ind {
			out = append(out, l.Name)
		}
	}
	return out
}

func nameProblem(err error) (NameProblem, bool) {
	var ne *NameError
	if errors.As(err, &ne) {
		return ne.Problem, true
	}
	return 0, false
}

func TestNormalizeName(t *testing.T) {
	for _, tc := range []struct{ name, a, b string }{
		{"full-width brackets", "甲（集团）有限公司", "甲(集团)有限公司"},
		{"no brackets", "甲（集团）有限公司", "甲集团有限公司"},
		{"spaces", "甲 纺织 有限公司", "甲纺织有限公司"},
		{"full-width letters", "ＡＢＣ科技", "abc科技"},
		{"full-width space", "甲\u3000公司", "甲公司"},
	} {
		if NormalizeName(tc.a) != NormalizeName(tc.b) {
			t.Errorf("%s: %q and %q differ: %q %q", tc.name, tc.a, tc.b, NormalizeName(tc.a), NormalizeName(tc.b))
		}
	}
}

func TestNamesRecordRemoveAndRefuse(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := Author{UserID: 7, Name: "张三"}
	if _, err := s.Record(ctx, a, []Change{named("嵊州", Tutoring, 2, "乙领带有限公司", "丙厨具有限公司"), add("嵊州", Tutoring, 1)}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		changes []Change
		want    NameProblem
	}{
		{"duplicate", []Change{named("嵊州", Tutoring, 1, "乙领带有限公司")}, NameDuplicate},
		{"duplicate after folding", []Change{named("嵊州", Tutoring, 1, "乙领带 有限公司")}, NameDuplicate},
		{"repeated in one message", []Change{named("嵊州", Tutoring, 2, "丁公司", "丁公司")}, NameRepeated},
		{"remove not listed", []Change{named("嵊州", Tutoring, -1, "戊公司")}, NameNotListed},
		{"count mismatch", []Change{named("嵊州", Tutoring, 3, "丁公司", "戊公司")}, NameCount},
		{"names with set", []Change{{County: "嵊州", Indicator: Tutoring, Op: OpSet, Amount: 5, Names: []string{"丁公司"}}}, NameWithSet},
		{"too long", []Change{named("嵊州", Tutoring, 1, strings.Repeat("长", MaxNameRunes+1))}, NameInvalid},
		{"control character", []Change{named("嵊州", Tutoring, 1, "丁\x07公司")}, NameInvalid},
		{"unnamed removal below the named", []Change{add("嵊州", Tutoring, -2)}, NamesOverCount},
		{"all or nothing", []Change{named("嵊州", Tutoring, 1, "己公司"), named("嵊州", Tutoring, 1, "乙领带有限公司")}, NameDuplicate},
	}
	for _, tc := range tests {
		_, err := s.Record(ctx, a, tc.changes)
		if p, ok := nameProblem(err); !ok || p != tc.want {
			t.Errorf("%s: err = %v, want problem %d", tc.name, err, tc.want)
		}
	}
	if got := mustTotals(t, s)["嵊州"][Tutoring]; got != 3 {
		t.Errorf("total = %d after refusals, want 3", got)
	}
	if got := listNames(t, s, "嵊州", Tutoring); fmt.Sprint(got) != "[乙领带有限公司 丙厨具有限公司]" {
		t.Errorf("list = %v after refusals", got)
	}
	// The same name in another county, or on another list, is no duplicate.
	if _, err := s.Record(ctx, a, []Change{named("柯桥", Tutoring, 1, "乙领带有限公司"), named("嵊州", CityStation, 1, "乙领带有限公司")}); err != nil {
		t.Fatal(err)
	}
	// Removal is by the folded name.
	if _, err := s.Record(ctx, a, []Change{named("嵊州", Tutoring, -1, "乙领带 有限公司")}); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, s, "嵊州", Tutoring); fmt.Sprint(got) != "[丙厨具有限公司]" {
		t.Errorf("list = %v after removal", got)
	}
	// Once removed, it may come back.
	if _, err := s.Record(ctx, a, []Change{named("嵊州", Tutoring, 1, "乙领带有限公司")}); err != nil {
		t.Fatal(err)
	}
	if got := mustTotals(t, s)["嵊州"][Tutoring]; got != 3 {
		t.Errorf("total = %d, want 3", got)
	}
}

func TestNamesUndoAndEdit(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := Author{UserID: 7, Name: "张三", ChatID: 7, MessageID: 1}
	first, err := s.Record(ctx, a, []Change{named("柯桥", Tutoring, 2, "甲公司", "乙公司")})
	if err != nil {
		t.Fatal(err)
	}
	a.MessageID = 2
	removal, err := s.Record(ctx, a, []Change{named("柯桥", Tutoring, -1, "甲公司")})
	if err != nil {
		t.Fatal(err)
	}
	// Undoing the removal puts 甲 back.
	if _, err := s.Undo(ctx, a, removal.Batch.ID); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, s, "柯桥", Tutoring); fmt.Sprint(got) != "[乙公司 甲公司]" {
		t.Errorf("list = %v after undoing the removal", got)
	}
	// Undoing the first batch takes both names off, and the count with them.
	if _, err := s.Undo(ctx, a, first.Batch.ID); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, s, "柯桥", Tutoring); len(got) != 0 {
		t.Errorf("list = %v after undoing the first batch", got)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 0 {
		t.Errorf("total = %d, want 0", got)
	}

	// An edited message replaces its names.
	a.MessageID = 3
	if _, err := s.Record(ctx, a, []Change{named("柯桥", CityStation, 2, "丙站", "丁站")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Replace(ctx, a, []Change{named("柯桥", CityStation, 2, "丙站", "戊站")}); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, s, "柯桥", CityStation); fmt.Sprint(got) != "[丙站 戊站]" {
		t.Errorf("list = %v after the edit", got)
	}
	// Undoing a removal whose name is back on the list would count it twice: refused.
	a.MessageID = 4
	rm, err := s.Record(ctx, a, []Change{named("柯桥", CityStation, -1, "戊站")})
	if err != nil {
		t.Fatal(err)
	}
	a.MessageID = 5
	if _, err := s.Record(ctx, a, []Change{named("柯桥", CityStation, 1, "戊站")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Undo(ctx, a, rm.Batch.ID); func() bool { p, ok := nameProblem(err); return !ok || p != NameDuplicate }() {
		t.Errorf("undo of a removal whose name is back: err = %v, want a duplicate", err)
	}
	if got := mustTotals(t, s)["柯桥"][CityStation]; got != 2 {
		t.Errorf("city stations = %d, want 2", got)
	}
}

// Undoing an add whose name was taken off and put on again since, by a
// later message: the name on the list is the later message's, and stays
// (an import undone after someone removed one of its names and added it
// back took the later name off, leaving that message live with no name).
func TestNamesUndoAfterReAdded(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := Author{UserID: 7, Name: "张三", ChatID: 7, MessageID: 1}
	b := Author{UserID: 8, Name: "李四", ChatID: 8, MessageID: 2}
	if _, err := s.Record(ctx, b, []Change{{County: "柯桥", Indicator: Tutoring, Amount: 2}}); err != nil {
		t.Fatal(err)
	}
	first, err := s.Record(ctx, a, []Change{named("柯桥", Tutoring, 1, "甲公司")})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range []Change{named("柯桥", Tutoring, -1, "甲公司"), named("柯桥", Tutoring, 1, "甲公司")} {
		b.MessageID = int64(3 + i)
		if _, err := s.Record(ctx, b, []Change{c}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Undo(ctx, a, first.Batch.ID); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, s, "柯桥", Tutoring); fmt.Sprint(got) != "[甲公司]" {
		t.Errorf("list = %v, want 李四's 甲公司 still on it", got)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != 2 {
		t.Errorf("total = %d, want 2", got)
	}
	// 李四's undo takes off 李四's 甲公司.
	if _, err := s.Undo(ctx, b, 0); err != nil {
		t.Fatal(err)
	}
	if got := listNames(t, s, "柯桥", Tutoring); len(got) != 0 || mustTotals(t, s)["柯桥"][Tutoring] != 1 {
		t.Errorf("after 李四's undo: list %v, total %d", got, mustTotals(t, s)["柯桥"][Tutoring])
	}
}

// Many writers adding the same names at once: each name lands once, and
// the count equals the names listed.
func TestNamesConcurrentDuplicates(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok := 0
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				_, err := s.Record(ctx, Author{UserID: int64(w + 1)}, []Change{named("诸暨", Tutoring, 1, fmt.Sprintf("企业%d", i))})
				if err == nil {
					mu.Lock()
					ok++
					mu.Unlock()
				} else if p, isName := nameProblem(err); !isName || p != NameDuplicate {
					t.Errorf("writer %d: %v", w, err)
				}
			}
		}()
	}
	wg.Wait()
	got := listNames(t, s, "诸暨", Tutoring)
	sort.Strings(got)
	if ok != 10 || len(got) != 10 || mustTotals(t, s)["诸暨"][Tutoring] != 10 {
		t.Errorf("%d writes succeeded, list %v, total %d; want 10 each", ok, got, mustTotals(t, s)["诸暨"][Tutoring])
	}
}

func TestListsCloseAndConfirm(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	c := Campaign{Location: shanghai, ListsDue: time.Date(2027, 9, 30, 0, 0, 0, 0, shanghai)}
	s.ListsClose = c.ListsClose()
	if want := time.Date(2027, 9, 30, 16, 0, 0, 0, time.UTC); !s.ListsClose.Equal(want) {
		t.Fatalf("ListsClose = %v, want %v", s.ListsClose, want)
	}
	staff := Author{UserID: 7, Name: "张三"}
	admin := Author{UserID: 1, Name: "凌晓波", Admin: true}
	if _, err := s.Record(ctx, staff, []Change{named("柯桥", Tutoring, 1, "甲公司")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm(ctx, staff, "柯桥", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Confirm(ctx, staff, "柯桥", 0); !errors.Is(err, ErrAlreadyConfirmed) {
		t.Errorf("second confirm: %v", err)
	}
	var closed *ClosedError
	if _, err := s.Record(ctx, staff, []Change{add("柯桥", Tutoring, 1)}); !errors.As(err, &closed) || closed.Confirmed == nil {
		t.Errorf("staff change after confirming: %v", err)
	}
	if _, err := s.Undo(ctx, staff, 0); !errors.As(err, &closed) {
		t.Errorf("staff undo after confirming: %v", err)
	}
	// Another county is still open until the end of 30 September, Shaoxing time.
	s.Now = func() time.Time { return time.Date(2027, 9, 30, 15, 59, 0, 0, time.UTC) }
	out, err := s.Record(ctx, staff, []Change{add("诸暨", Tutoring, 1)})
	if err != nil || out.Batch.Late {
		t.Errorf("before the deadline: %+v %v", out.Batch, err)
	}
	s.Now = func() time.Time { return time.Date(2027, 9, 30, 16, 0, 0, 0, time.UTC) }
	if _, err := s.Record(ctx, staff, []Change{add("诸暨", Tutoring, 1)}); !errors.As(err, &closed) || closed.Confirmed != nil {
		t.Errorf("after the deadline: %v", err)
	}
	out, err = s.Record(ctx, admin, []Change{named("柯桥", Tutoring, 1, "乙公司")})
	if err != nil || !out.Batch.Late {
		t.Fatalf("admin after closing: %+v %v", out.Batch, err)
	}
	for _, l := range mustNames(t, s) {
		if want := l.Name == "乙公司"; l.Late != want {
			t.Errorf("%s late = %v, want %v", l.Name, l.Late, want)
		}
	}
	hist, err := s.History(ctx, "柯桥", 1)
	if err != nil || len(hist) != 1 || !hist[0].Late {
		t.Errorf("history = %+v %v: the admin's entry should be late", hist, err)
	}
	confs, err := s.Confirmations(ctx)
	if err != nil || confs["柯桥"].UserName != "张三" || confs["柯桥"].Late {
		t.Errorf("confirmations = %+v %v", confs, err)
	}
}

func mustNames(t *testing.T, s *Store) []Listed {
	t.Helper()
	ls, err := s.Names(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	return ls
}

func TestMissingFromTutoring(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	a := Author{UserID: 1, Admin: true}
	_, err := s.Record(ctx, a, []Change{
		named("柯桥", ProvincialStation, 1, "甲站"),
		named("柯桥", CityStation, 2, "乙站", "丙（集团）站"),
		named("柯桥", Tutoring, 1, "丙(集团)站"),
		named("越城", Tutoring, 1, "甲站"), // another county's list does not count
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range MissingFromTutoring(mustNames(t, s)) {
		got = append(got, l.Name)
	}
	if fmt.Sprint(got) != "[甲站 乙站]" {
		t.Errorf("missing = %v, want [甲站 乙站]", got)
	}
	l, err := s.ListedName(ctx, mustNames(t, s)[0].ID)
	if err != nil || l.Name != "甲站" {
		t.Errorf("ListedName = %+v %v", l, err)
	}
}

// Note 1 worked out by the database agrees with the one worked out from the
// loaded lists: stations not on the tutoring list, compared by normalized
// name, in one county, leaving out names that have left their list.
func TestMissingFromTutoringInSQL(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		msg := int64(0)
		rec := func(c Change) {
			t.Helper()
			msg++
			if _, err := s.Record(ctx, Author{UserID: 7, ChatID: 7, MessageID: msg}, []Change{c}); err != nil {
				t.Fatal(err)
			}
		}
		rec(named("柯桥", ProvincialStation, 1, "甲纺织示范站"))
		rec(named("柯桥", CityStation, 3, "乙（柯桥）示范站", "丙示范站", "丁示范站"))
		rec(named("柯桥", Tutoring, 2, "甲纺织示范站", "乙(柯桥)示范站")) // the brackets fold
		rec(named("柯桥", CityStation, -1, "丁示范站"))           // off the list again
		rec(named("嵊州", CityStation, 1, "戊示范站"))
		got, err := s.MissingFromTutoring(ctx, "柯桥")
		if err != nil {
			t.Fatal(err)
		}
		all, err := s.Names(ctx, "柯桥")
		if err != nil {
			t.Fatal(err)
		}
		want := MissingFromTutoring(all)
		if len(got) != 1 || got[0].Name != "丙示范站" || len(want) != 1 || want[0].Name != got[0].Name {
			t.Errorf("in SQL %+v, from the lists %+v; want 丙示范站 alone", got, want)
		}
	})
}

// The fast path of NormalizeName (a name it leaves as it is) agrees with
// the long way, on names it takes and names it must not.
func TestNormalizeNameFastPath(t *testing.T) {
	for _, s := range []string{
		"", "柯桥纺织商业秘密保护示范站", "绍兴某某（集团）有限公司", "绍兴某某(集团)有限公司", "甲纺织 有限公司",
		"ABC科技有限公司", "abc科技有限公司", "柯桥测试示范企业00001有限公司", "ｆｕｌｌ宽", "零\u200b宽", "全角\u3000空格",
		"a-b.c_d&e", "[x]", "{y}", "tab\there", "end\n", "\xff\xfe", "名称。、；", "Ⅻ罗马", "ß", "İ",
		"𠀀扩展B", "〔2027〕1号", "\u00a0nbsp",
	} {
		if got, want := NormalizeName(s), normalizeName(s); got != want {
			t.Errorf("NormalizeName(%q) = %q, the long way %q", s, got, want)
		}
		if normalized(s) && normalizeName(s) != s {
			t.Errorf("normalized(%q), but the long way makes it %q", s, normalizeName(s))
		}
	}
	for r := rune(0); r < 0x10000; r++ {
		s := "名" + string(r) + "x"
		if normalized(s) && normalizeName(s) != s {
			t.Errorf("normalized(%q), but the long way makes it %q", s, normalizeName(s))
		}
	}
}
