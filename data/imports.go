package data

// Importing a filled-in 名单 (/template sent back as a spreadsheet). The
// rows are checked here, against the lists as they stand, with the rules a
// chat message meets: the names as CleanName and the near-duplicates of
// firms.go judge them, the attributes as CleanDetail does. Nothing is
// written until the sender confirms; then the whole file is one batch of the
// ledger (KindImport), its names and attributes included, and /undo takes
// it back like any other batch.

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of an import: what a county's lists need, with room to spare.
const (
	MaxImportBytes = 5 << 20
	MaxImportRows  = 5000
	// ImportTTL is how long a preview can be confirmed.
	ImportTTL = 24 * time.Hour
)

// ImportRow is one data row of a spreadsheet, as typed. Row is the row
// number Excel shows; Level is the 类型/级别 cell; Values are the other
// attribute cells (Values[DetailKind] is unused: the kind is in Level).
type ImportRow struct {
	Sheet string
	Row   int
	// List says which sheet the row is on: the 培育名单 (ListCultured),
	// whose rows name their level, the 专项辅导名单 (ListTutoring), or
	// another sheet with the columns of a 名单 (ListAny).
	List   ImportList
	County string
	Name   string
	Level  string
	Values [NumDetailFields]string
}

// ImportList is the sheet an import row comes from.
type ImportList int

const (
	ListAny ImportList = iota
	ListCultured
	ListTutoring
)

// RowError is a row an import cannot take, and why (short Chinese).
type RowError struct {
	Sheet  string
	Row    int
	Reason string
}

// ImportName is a name the import puts on a list, with its attributes.
type ImportName struct {
	Row       int
	County    string
	Indicator Indicator
	Name      string
	Values    []DetailValue
}

// ImportChange is what the import changes of a unit already on a list.
type ImportChange struct {
	Row    int
	County string
	Name   string // as on the list
	Values []DetailValue
}

// ImportGroup is what the import does to one list: the new names, and the
// count before and after. New names first take the place of the unnamed
// ones the count already holds (辅导企业 +3 reported, then named in the
// file); only the rest add to it.
type ImportGroup struct {
	County        string
	Indicator     Indicator
	Names         int
	Before, After int
}

// ImportPlan is what importing a file would do, worked out against the
// lists of one moment (Versions).
type ImportPlan struct {
	New     []ImportName
	Changes []ImportChange
	Groups  []ImportGroup
	Same    int // rows already on the lists as they are
	Errors  []RowError
	// Elsewhere are the new names whose firm is on another county's list:
	// not an error (the ledger records such names too), shown to check.
	Elsewhere []Elsewhere
	// Versions are the lists versions of the counties written, read before
	// the lists were: the import is refused if any changed since.
	Versions map[string]int64
}

// Changed counts the attributes the plan changes on names already listed.
func (p ImportPlan) Changed() int {
	n := 0
	for _, c := range p.Changes {
		n += len(c.Values)
	}
	return n
}

// Empty says the plan writes nothing.
func (p ImportPlan) Empty() bool { return len(p.New) == 0 && len(p.Changes) == 0 }

// PlanImport checks rows sent by who against the lists as they stand. who
// must be allowed to write (not a viewer); a county's staff write only
// their own county's rows (an empty county cell is theirs).
func (s *Store) PlanImport(ctx context.Context, c *Campaign, who Person, rows []ImportRow) (ImportPlan, error) {
	versions := map[string]int64{}
	for _, co := range c.Counties {
		v, err := listsVersion(s.db.WithContext(ctx), co.Name)
		if err != nil {
			return ImportPlan{}, err
		}
		versions[co.Name] = v
	}
	names, err := s.Names(ctx, "")
	if err != nil {
		return ImportPlan{}, err
	}
	details, err := s.Details(ctx, "")
	if err != nil {
		return ImportPlan{}, err
	}
	totals, err := s.Totals(ctx)
	if err != nil {
		return ImportPlan{}, err
	}
	year := s.Now().In(c.loc()).Year()
	if !c.ListsDue.IsZero() {
		year = c.ListsDue.Year()
	}
	p := planImport(c, who, rows, lists{names: names, details: details, totals: totals}, year)
	p.Versions = map[string]int64{}
	for _, g := range p.Groups {
		p.Versions[g.County] = versions[g.County]
	}
	for _, ch := range p.Changes {
		p.Versions[ch.County] = versions[ch.County]
	}
	return p, nil
}

func (c *Campaign) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// lists is what an import is checked against.
type lists struct {
	names   []Listed
	details map[Unit]Details
	totals  map[string]Counts
}

// planner checks the rows of one file in order.
type planner struct {
	c    *Campaign
	who  Person
	year int
	p    ImportPlan

	live   map[key]map[string]Listed // the lists, by normalized name
	firms  map[key]map[string]Listed // the lists, by FirmKey: the first of each firm
	across map[string][]Listed       // every list, by FirmKey
	in     lists

	rows  map[key]map[string]int       // this file: the row of each name
	near  map[key]map[string]int       // this file: the row of each firm
	units map[Unit]map[DetailField]int // this file: the row that set each attribute
	vals  map[Unit][NumDetailFields]string
	added map[key]int
}

func planImport(c *Campaign, who Person, rows []ImportRow, in lists, year int) ImportPlan {
	pl := &planner{c: c, who: who, year: year, in: in,
		live: map[key]map[string]Listed{}, firms: map[key]map[string]Listed{}, across: map[string][]Listed{},
		rows: map[key]map[string]int{}, near: map[key]map[string]int{}, units: map[Unit]map[DetailField]int{},
		vals: map[Unit][NumDetailFields]string{}, added: map[key]int{}}
	for _, l := range in.names {
		k := key{l.County, l.Indicator}
		if pl.live[k] == nil {
			pl.live[k], pl.firms[k] = map[string]Listed{}, map[string]Listed{}
		}
		pl.live[k][NormalizeName(l.Name)] = l
		fk := FirmKey(l.Name)
		if _, ok := pl.firms[k][fk]; !ok {
			pl.firms[k][fk] = l
		}
		pl.across[fk] = append(pl.across[fk], l)
	}
	for _, r := range rows {
		if blankRow(r) {
			continue
		}
		if reasons := pl.row(r); len(reasons) > 0 {
			pl.p.Errors = append(pl.p.Errors, RowError{Sheet: r.Sheet, Row: r.Row, Reason: strings.Join(reasons, "；")})
		}
	}
	pl.groups()
	return pl.p
}

func blankRow(r ImportRow) bool {
	if strings.TrimSpace(r.Name+r.Level) != "" { // a county alone is a numbered empty row
		return false
	}
	for _, v := range r.Values {
		if strings.TrimSpace(v) != "" {
			return false
		}
	}
	return true
}

// importLabels name the attributes in an error row, short for a phone.
var importLabels = [NumDetailFields]string{"信用代码", "类型", "地址", "联系人", "电话", "日期", "方式", "备注"}

// importName cleans the name of a row: ok says it can go on a list (the
// name may still be too long, told in why).
func importName(raw string) (name string, ok bool, why string) {
	name, ok = CleanName(raw)
	ok = ok && !HasBidiControl(name)
	switch {
	case NormalizeName(raw) == "": // empty, or brackets alone
		return name, ok, "缺单位名称"
	case totalLineRe.MatchString(FoldWidth(raw)):
		return name, false, "这是合计行，不是单位（请删去）"
	case strings.ContainsAny(raw, "\r\n"):
		return name, false, "单位名称里有换行（请删去）"
	case utf8.RuneCountInString(name) > MaxNameRunes:
		return name, ok, fmt.Sprintf("单位名称太长（最多%d字）", MaxNameRunes)
	case !ok:
		return name, ok, "单位名称含看不见的控制字符（请重新输入）"
	}
	return name, ok, ""
}

// details cleans the attributes of a row, saying what is wrong with each
// that cannot be taken.
func (pl *planner) details(values [NumDetailFields]string) (clean []DetailValue, bad []string) {
	for _, f := range DetailFields {
		if strings.TrimSpace(values[f]) == "" {
			continue
		}
		v, err := CleanDetail(f, values[f], pl.year)
		var de *DetailError
		if errors.As(err, &de) {
			if hint := numberHint(f, values[f]); hint != "" {
				bad = append(bad, hint)
				continue
			}
			bad = append(bad, importLabels[f]+shortReason(de.Reason))
			continue
		}
		clean = append(clean, DetailValue{Field: f, Value: v})
	}
	return clean, bad
}

// row checks one row and, if it is right, adds it to the plan; otherwise
// it returns the reasons.
func (pl *planner) row(r ImportRow) []string {
	if bad := errorValues(r); len(bad) > 0 {
		return bad
	}
	var bad []string
	county, why := pl.county(r.County)
	if co, ok := pl.c.County(strings.TrimSpace(r.County)); ok && why != "" && pl.asListed(r, co.Name) {
		// Another county's row as its list has it (a city template filled
		// by one county): it changes nothing there.
		pl.p.Same++
		return nil
	}
	if why != "" {
		bad = append(bad, why)
	}
	ind, kind, levelWhy := importLevel(r.List, r.Level)
	if levelWhy != "" {
		bad = append(bad, levelWhy)
	}
	raw, distinct := cutDistinct(strings.TrimSpace(r.Name))
	name, ok, nameWhy := importName(raw)
	if nameWhy != "" {
		bad = append(bad, nameWhy)
	}
	// Whose row it is, when county, level and name can be read.
	known := why == "" && levelWhy == "" && ok
	values := r.Values
	values[DetailKind] = kind
	clean, detailsWhy := pl.details(values)
	bad = append(bad, detailsWhy...)
	k, norm := key{county, ind}, NormalizeName(name)
	if at, dup := pl.rows[k][norm]; dup && known {
		return append(bad, fmt.Sprintf("与第%d行重复", at))
	}
	if len(bad) > 0 {
		if known {
			// A row to fix is still this name's row: a second one is a
			// duplicate, whether or not the first is fixed.
			pl.mark(k, norm, r.Row)
		}
		return bad
	}
	u := Unit{county, norm}
	for _, v := range clean {
		if at, ok := pl.units[u][v.Field]; ok && pl.vals[u][v.Field] != v.Value {
			bad = append(bad, fmt.Sprintf("%s与第%d行不一致", importLabels[v.Field], at))
		}
	}
	listed, onList := pl.live[k][norm]
	fk := FirmKey(name)
	if !onList && !distinct {
		if at, ok := pl.near[k][fk]; ok {
			bad = append(bad, fmt.Sprintf("与第%d行像是同一家；如是另一家，名称后加%s", at, DistinctMark))
		} else if l, ok := pl.firms[k][fk]; ok {
			bad = append(bad, fmt.Sprintf("像是名单上的“%s”；如是另一家，名称后加%s", l.Name, DistinctMark))
		}
	}
	if len(bad) > 0 {
		return bad
	}
	pl.note(r.Row, k, u, norm, fk, clean)
	if onList {
		pl.change(r.Row, listed, clean)
		return nil
	}
	pl.p.New = append(pl.p.New, ImportName{Row: r.Row, County: county, Indicator: ind, Name: name, Values: clean})
	pl.added[k]++
	for _, l := range pl.across[fk] {
		if l.County != county {
			pl.p.Elsewhere = append(pl.p.Elsewhere, Elsewhere{Name: name, County: county, Listed: l})
			break
		}
	}
	return nil
}

// mark remembers the row of a name, for the duplicates after it.
func (pl *planner) mark(k key, norm string, row int) {
	if pl.rows[k] == nil {
		pl.rows[k], pl.near[k] = map[string]int{}, map[string]int{}
	}
	pl.rows[k][norm] = row
}

// note remembers a row taken, for the rows after it.
func (pl *planner) note(row int, k key, u Unit, norm, fk string, clean []DetailValue) {
	pl.mark(k, norm, row)
	if _, ok := pl.near[k][fk]; !ok {
		pl.near[k][fk] = row
	}
	if pl.units[u] == nil {
		pl.units[u] = map[DetailField]int{}
	}
	vals := pl.vals[u]
	for _, v := range clean {
		if _, ok := pl.units[u][v.Field]; !ok {
			pl.units[u][v.Field] = row
			vals[v.Field] = v.Value
		}
	}
	pl.vals[u] = vals
}

// change records the attributes of a listed name that differ from what is
// recorded. An empty cell leaves an attribute as it is.
func (pl *planner) change(row int, l Listed, clean []DetailValue) {
	have := pl.in.details[UnitOf(l)]
	var diff []DetailValue
	for _, v := range clean {
		if have.Get(v.Field) != v.Value {
			diff = append(diff, v)
		}
	}
	// A unit on two lists (a station also tutored) is one unit: a second
	// row of it changes nothing the first did not.
	for _, c := range pl.p.Changes {
		if c.County == l.County && NormalizeName(c.Name) == NormalizeName(l.Name) {
			diff = nil
		}
	}
	if len(diff) == 0 {
		pl.p.Same++
		return
	}
	pl.p.Changes = append(pl.p.Changes, ImportChange{Row: row, County: l.County, Name: l.Name, Values: diff})
}

// asListed says whether a row is of a name on county's list, with no
// attribute other than the list records.
func (pl *planner) asListed(r ImportRow, county string) bool {
	ind, kind, why := importLevel(r.List, r.Level)
	raw, _ := cutDistinct(strings.TrimSpace(r.Name))
	name, ok := CleanName(raw)
	if why != "" || !ok {
		return false
	}
	l, ok := pl.live[key{county, ind}][NormalizeName(name)]
	if !ok {
		return false
	}
	have := pl.in.details[UnitOf(l)]
	values := r.Values
	values[DetailKind] = kind
	for _, f := range DetailFields {
		if strings.TrimSpace(values[f]) == "" {
			continue
		}
		if v, err := CleanDetail(f, values[f], pl.year); err != nil || v != have.Get(f) {
			return false
		}
	}
	return true
}

// county resolves a row's county cell for the sender.
func (pl *planner) county(cell string) (string, string) {
	cell = strings.TrimSpace(cell)
	if cell == "" {
		if pl.who.Role == RoleCounty {
			return pl.who.County, ""
		}
		return "", "缺区县"
	}
	co, ok := pl.c.County(cell)
	if !ok {
		return "", fmt.Sprintf("区县“%s”不认识", clipRunes(cell, 10))
	}
	if !pl.who.CanWrite(co.Name) {
		return "", fmt.Sprintf("是%s的，您只能导入%s", co.Name, pl.who.County)
	}
	return co.Name, ""
}

// groups works out each list's count before and after.
func (pl *planner) groups() {
	for k, n := range pl.added {
		before := pl.in.totals[k.county][k.ind]
		unnamed := max(0, before-len(pl.live[k]))
		pl.p.Groups = append(pl.p.Groups, ImportGroup{County: k.county, Indicator: k.ind, Names: n, Before: before, After: before + max(0, n-unnamed)})
	}
	order := map[string]int{}
	for i, co := range pl.c.Counties {
		order[co.Name] = i
	}
	sort.Slice(pl.p.Groups, func(i, j int) bool {
		a, b := pl.p.Groups[i], pl.p.Groups[j]
		if a.County != b.County {
			return order[a.County] < order[b.County]
		}
		return a.Indicator < b.Indicator
	})
}

// levelWords are the ways a 类型/级别 cell names a level, after
// levelKey has folded it.
var levelWords = map[string]Indicator{
	"省级示范区": Zone, "示范区": Zone,
	"省级示范站":  ProvincialStation,
	"市县级示范站": CityStation, "市级示范站": CityStation, "县级示范站": CityStation,
	"专项辅导": Tutoring, "辅导企业": Tutoring, "企业专项辅导": Tutoring,
}

func levelKey(s string) string {
	s = NormalizeName(s)
	for _, w := range []string{"商业秘密保护", "、", "点"} {
		s = strings.ReplaceAll(s, w, "")
	}
	return s
}

// importLevel reads a 类型/级别 cell: on the 培育名单 its first line is the
// level and what follows the kind; on the 专项辅导名单 it is the kind.
func importLevel(list ImportList, cell string) (Indicator, string, string) {
	cell = strings.TrimSpace(cell)
	if list == ListTutoring {
		return Tutoring, cell, ""
	}
	first, rest, _ := strings.Cut(cell, "\n")
	if ind, ok := levelWords[levelKey(first)]; ok {
		return ind, strings.TrimSpace(rest), ""
	}
	if list == ListCultured {
		return 0, "", "类型/级别应写省级示范区、省级示范站或市县级示范站"
	}
	return Tutoring, cell, ""
}

// excelErrors are the values Excel shows for a formula that failed: pasted
// as values (a VLOOKUP that found nothing, then 选择性粘贴→数值), they stay
// in the cells as text, and are no name or attribute.
var excelErrors = map[string]bool{"#N/A": true, "#REF!": true, "#VALUE!": true, "#DIV/0!": true, "#NAME?": true,
	"#NUM!": true, "#NULL!": true, "#SPILL!": true, "#CALC!": true, "#GETTING_DATA": true, "#FIELD!": true, "#BLOCKED!": true}

// errorValues are the reasons of a row's cells that hold an Excel error value.
func errorValues(r ImportRow) []string {
	var bad []string
	check := func(label, v string) {
		if v = strings.ToUpper(strings.TrimSpace(FoldWidth(v))); excelErrors[v] {
			bad = append(bad, label+"是Excel错误值"+v+"（请改成文字）")
		}
	}
	check("区县", r.County)
	check("单位名称", r.Name)
	check("类型/级别", r.Level)
	for _, f := range DetailFields {
		check(importLabels[f], r.Values[f])
	}
	return bad
}

// totalLineRe is the line under a 名单 that counts it (共3家；其中1家未具名,
// 合计): copied with the names, it is no firm.
var totalLineRe = regexp.MustCompile(`^\s*(共\s*\d+\s*[家个]|(合|小|总)\s*计[\s\d:：家个]*$)`)

var (
	// numericCodeRe is a credit code that Excel took for a number: it
	// keeps 15 digits (913101106660072000) and writes large numbers with
	// an exponent (9.1310110666007206E+17).
	numericCodeRe = regexp.MustCompile(`^(\d{15}000|\d(\.\d+)?[eE]\+?\d+)$`)
	// lostZeroRe is a landline with its area code that Excel took for a
	// number: the 0 it starts with is gone (0575-85134612 → 57585134612).
	lostZeroRe = regexp.MustCompile(`^[1-9]\d{9,10}$`)
)

// numberHint says what went wrong with a value that is wrong because Excel
// made a number of it: the value in the cell is not what was typed, and
// "fixing" its check character would make a wrong code pass.
func numberHint(f DetailField, v string) string {
	v = strings.TrimSpace(v)
	switch {
	case f == DetailCreditCode && numericCodeRe.MatchString(v):
		return "信用代码被Excel改成了数字（请设为文本后重填）"
	case f == DetailPhone && lostZeroRe.MatchString(v):
		if _, ok := CleanPhone("0" + v); ok {
			return "电话开头的0被Excel去掉了（请设为文本后重填）"
		}
	}
	return ""
}

// shortReason keeps a CleanDetail reason short enough for a phone: what
// is wrong, without the advice after it.
func shortReason(r string) string {
	if i := strings.Index(r, "："); i > 0 {
		r = r[:i]
	}
	r = strings.TrimSuffix(r, "，请核对是否抄错")
	return r
}

func clipRunes(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n]) + "…"
}
