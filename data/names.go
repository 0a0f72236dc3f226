package data

// The two lists the counties report by 30 September: the cultivated units
// (培育名单: zones and stations) and the tutored enterprises (专项辅导名单).
// Names are written like the entries they belong to: append-only, in the same
// transaction. A name is on the list from the row that added it until a later
// row ends it; undoing a batch writes rows that reverse its names.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
)

// MaxNameRunes is the longest name accepted: the longest registered company
// names run to about 60 characters.
const MaxNameRunes = 100

// Name row operations.
const (
	NameAdd    = "add"
	NameRemove = "remove"
)

// NameRecord is one row of the names table: a name put on a county's list
// for one indicator, or taken off it (Ends names the row it takes off).
type NameRecord struct {
	ID        int64     `gorm:"primaryKey"`
	BatchID   int64     `gorm:"index;not null"`
	EntryID   int64     `gorm:"not null"`
	County    string    `gorm:"index:idx_names_list;index:idx_names_firm,priority:2;index:idx_names_lengths,priority:1;not null"`
	Indicator Indicator `gorm:"index:idx_names_list;index:idx_names_firm,priority:3;index:idx_names_lengths,priority:2;not null"`
	Norm      string    `gorm:"index:idx_names_list;not null"` // NormalizeName(Name): what duplicates are judged on
	Name      string    `gorm:"not null"`                      // as typed, trimmed
	// Firm is FirmKey(Name), stored so that a near duplicate is found by
	// the index, not by loading the list (see listed.go).
	Firm string `gorm:"index:idx_names_firm,priority:1;not null;default:''"`
	// idx_names_lengths covers the start-up count of every list's length
	// (repairNamed), read from the index alone.
	Op string `gorm:"index:idx_names_lengths,priority:3;not null"` // NameAdd or NameRemove
	// Ends is, for a removal, the add row it takes off the list. Unique: a
	// name leaves the list at most once.
	Ends      *int64 `gorm:"uniqueIndex"`
	Late      bool   `gorm:"not null;default:false"`
	UserID    int64  `gorm:"not null"`
	UserName  string
	CreatedAt time.Time `gorm:"not null"`
}

// TableName keeps the table name in the domain's words.
func (NameRecord) TableName() string { return "names" }

// Listed is a name that is on a list now.
type Listed struct {
	ID        int64 // the row that put it on the list: a stable reference for buttons
	BatchID   int64
	County    string
	Indicator Indicator
	Name      string
	UserID    int64
	UserName  string
	CreatedAt time.Time
	Late      bool
}

// NameProblem says what is wrong with a name in a change.
type NameProblem int

const (
	NameDuplicate  NameProblem = iota // already on the county's list for that indicator
	NameRepeated                      // given twice in one message
	NameNotListed                     // a removal of a name that is not on the list
	NameInvalid                       // empty, too long, or with control characters
	NameCount                         // the number of names differs from the amount
	NameWithSet                       // names with =N: a total names no one in particular
	NamesOverCount                    // more names on the list than the count would be
	NameNear                          // the same firm written differently is on the list (FirmKey); Listed is it
)

// NameError refuses a change because of its names; nothing is written.
type NameError struct {
	Problem   NameProblem
	County    string
	Indicator Indicator
	Name      string
	Amount    int     // NameCount, NamesOverCount: the amount, or the count after the change
	Names     int     // NameCount: how many names were given; NamesOverCount: how many are listed
	Listed    *Listed // NameDuplicate, NameRepeated, NameNear: the name already on the list
}

func (e *NameError) Error() string {
	return fmt.Sprintf("ledger: %s %s name %q: problem %d", e.County, e.Indicator.Key(), e.Name, e.Problem)
}

// ClosedError refuses a change to a county whose lists are closed (the due
// day is over, or the county confirmed them) to anyone but an admin.
type ClosedError struct {
	County    string
	Confirmed *Confirmation // nil: closed by the deadline
	Deadline  time.Time
}

func (e *ClosedError) Error() string {
	return fmt.Sprintf("ledger: %s lists are closed", e.County)
}

// NormalizeName is the key duplicates are judged on: width folded, letters
// in lower case, spaces and brackets dropped, so that 甲（集团）有限公司 and
// 甲(集团) 有限公司 are the same enterprise.
func NormalizeName(s string) string {
	if normalized(s) {
		return s
	}
	return normalizeName(s)
}

func normalizeName(s string) string {
	s = FoldWidth(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case unicode.IsSpace(r), isZeroWidth(r), strings.ContainsRune("()[]{}（）【】〔〕〈〉《》「」『』", r):
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// normalized is whether NormalizeName leaves s as it is, for most names
// (Chinese characters, digits, lower-case letters, punctuation outside
// brackets) without a copy: an export normalizes every name of a province.
// Anything else takes the long way.
func normalized(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c <= ' ', c >= 'A' && c <= 'Z', c == 0x7f, c == '(', c == ')', c == '[', c == ']', c == '{', c == '}':
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r < 0x4E00 || r > 0x9FFF { // CJK Unified Ideographs: no case, width or space
			return false
		}
		i += n
	}
	return true
}

// isZeroWidth reports whether r is a character that shows as nothing and
// means nothing in a name (a zero-width space, a word joiner, a byte-order
// mark, a soft hyphen): pasted from a web page or a PDF, it would make a
// listed firm look new. CleanName drops them; NormalizeName ignores them.
// The direction controls, which change what a name shows, are refused
// instead (IsBidiControl).
func isZeroWidth(r rune) bool {
	switch r {
	case '\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad', '\u180e':
		return true
	}
	return false
}

// CleanName trims a name and checks it can go on a list; the problem is
// NameInvalid.
func CleanName(s string) (string, bool) {
	s = strings.TrimSpace(strings.Map(func(r rune) rune {
		if isZeroWidth(r) {
			return -1
		}
		return r
	}, s))
	if s == "" || NormalizeName(s) == "" || utf8.RuneCountInString(s) > MaxNameRunes || !utf8.ValidString(s) ||
		strings.ContainsFunc(s, unicode.IsControl) {
		return s, false
	}
	return s, true
}

// ListsClose is the instant the lists are due: the end of the ListsDue day
// in the campaign's location. Zero when no date is configured.
func (c *Campaign) ListsClose() time.Time {
	if c.ListsDue.IsZero() {
		return time.Time{}
	}
	loc := c.Location
	if loc == nil {
		loc = time.UTC
	}
	d := c.ListsDue.In(loc)
	return time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, loc)
}

// checkNames refuses changes whose names cannot be right whatever the
// lists hold: a count that differs from the names, names with =N, a bad name.
func checkNames(changes []Change) error {
	for _, c := range changes {
		if len(c.Names) == 0 {
			continue
		}
		if c.Op == OpSet {
			return &NameError{Problem: NameWithSet, County: c.County, Indicator: c.Indicator, Amount: c.Amount, Names: len(c.Names)}
		}
		if n := c.Amount; n != len(c.Names) && -n != len(c.Names) {
			return &NameError{Problem: NameCount, County: c.County, Indicator: c.Indicator, Amount: c.Amount, Names: len(c.Names)}
		}
		for _, n := range c.Names {
			bare, _ := cutDistinct(n)
			if _, ok := CleanName(bare); !ok {
				return &NameError{Problem: NameInvalid, County: c.County, Indicator: c.Indicator, Name: n}
			}
		}
	}
	return nil
}

// nameOp is what an entry does to a list: put a name on it, or take one off.
// ends is set when an undo takes off what an add row put on: the name is
// taken off if it is listed (by that row, or by an undo that put it back),
// and skipped if it has left the list since.
// distinct is set for a name written with DistinctMark: the writer was
// asked and says it is another firm than the near one listed.
type nameOp struct {
	name     string
	remove   bool
	ends     int64
	distinct bool
}

func namesOf(c Change) []nameOp {
	out := make([]nameOp, 0, len(c.Names))
	for _, n := range c.Names {
		n, distinct := cutDistinct(n)
		n, _ = CleanName(n)
		out = append(out, nameOp{name: n, remove: c.Amount < 0, distinct: distinct})
	}
	return out
}

// compensateNames attaches to the entries that cancel batch id the name rows
// that reverse its names: a name it added is taken off (if still listed),
// a name it removed is put back.
func compensateNames(tx *gorm.DB, id int64, old []Entry, out []Entry) error {
	var rows []NameRecord
	if err := tx.Where("batch_id = ?", id).Order("id").Find(&rows).Error; err != nil {
		return fmt.Errorf("ledger: load names of batch %d: %w", id, err)
	}
	if len(rows) == 0 {
		return nil
	}
	byEntry := map[int64][]NameRecord{}
	for _, r := range rows {
		byEntry[r.EntryID] = append(byEntry[r.EntryID], r)
	}
	k := 0
	for _, e := range old {
		if e.Op == OpUndo {
			continue
		}
		for _, r := range byEntry[e.ID] {
			if r.Op == NameAdd {
				out[k].names = append(out[k].names, nameOp{name: r.Name, remove: true, ends: r.ID})
			} else {
				out[k].names = append(out[k].names, nameOp{name: r.Name})
			}
		}
		k++
	}
	return nil
}

// addedByMessage says whether a name's row was put on the list by a
// message of its own (an update, an edit, an import), not by an undo
// putting it back.
func addedByMessage(tx *gorm.DB, r NameRecord) (bool, error) {
	var kinds []string
	if err := tx.Model(&Batch{}).Where("id = ?", r.BatchID).Pluck("kind", &kinds).Error; err != nil {
		return false, fmt.Errorf("ledger: batch of name %d: %w", r.ID, err)
	}
	return len(kinds) == 1 && slices.Contains(undoable, kinds[0]), nil
}

// writeNames writes the name rows of a batch whose entries are inserted,
// refusing a name already listed, a removal of a name not listed, and a list
// longer than its count. It runs inside the write transaction, after the
// entries (whose ids the rows carry), in entry order. A name a message
// adds is also refused when the same firm written differently is listed
// (NameNear), unless it carries DistinctMark; and the firms it adds that are
// on another county's list are returned, for the admin to look into.
// Every check is a point lookup on an index: nothing here loads a list.
// named is how many names each list held before the batch (see Total.Named).
func writeNames(tx *gorm.DB, b *Batch, entries []Entry, totals, named map[key]int) ([]Elsewhere, error) {
	typed := b.Kind == KindUpdate || b.Kind == KindEdit // not an undo putting a name back
	var added []NameRecord
	// The lists whose length must still fit their count: where names come
	// or go, or where the count goes down. An unnamed add, the common
	// update, changes neither and costs no query.
	lengths := map[key]int{}
	for i := range entries {
		e := &entries[i]
		k := key{e.County, e.Indicator}
		if _, ok := lengths[k]; !ok && (len(e.names) > 0 || e.Delta < 0) {
			lengths[k] = named[k]
		}
		for _, op := range e.names {
			row, skip, err := nameRow(tx, b, e, op, typed)
			if err != nil {
				return nil, err
			}
			if skip {
				continue
			}
			if err := tx.Create(&row).Error; err != nil {
				return nil, fmt.Errorf("ledger: insert name: %w", err)
			}
			if row.Op == NameRemove {
				lengths[k]--
				continue
			}
			lengths[k]++
			if typed {
				added = append(added, row)
			}
		}
	}
	if err := checkLengths(tx, lengths, totals, named); err != nil {
		return nil, err
	}
	return elsewhere(tx, added)
}

// nameRow is the row one name of an entry writes, after the checks of the
// list as it stands in the transaction (with the batch's earlier names).
// skip: an undo of an add whose name has left the list since, nothing to do.
func nameRow(tx *gorm.DB, b *Batch, e *Entry, op nameOp, typed bool) (NameRecord, bool, error) {
	k := key{e.County, e.Indicator}
	row := NameRecord{BatchID: b.ID, EntryID: e.ID, County: e.County, Indicator: e.Indicator, Norm: NormalizeName(op.name),
		Name: op.name, Firm: FirmKey(op.name), Late: e.Late, UserID: b.UserID, UserName: b.UserName, CreatedAt: b.CreatedAt}
	have, ok, err := listedByNorm(tx, k, row.Norm)
	if err != nil {
		return row, false, err
	}
	if op.remove {
		row.Op = NameRemove
		if op.ends != 0 && !ok {
			return row, true, nil // undoing an add whose name has left the list since: nothing to take off
		}
		if op.ends != 0 && have.ID != op.ends {
			// The name left the list and is on it again: put back by an
			// undo, it is still this add's; added by a later message, it is
			// that message's, and stays.
			later, err := addedByMessage(tx, have)
			if err != nil {
				return row, false, err
			}
			if later {
				return row, true, nil
			}
		}
		if !ok {
			return row, false, &NameError{Problem: NameNotListed, County: e.County, Indicator: e.Indicator, Name: op.name}
		}
		ends := have.ID
		row.Ends = &ends
		return row, false, nil
	}
	row.Op = NameAdd
	if ok {
		p := NameRepeated
		if have.BatchID != b.ID {
			p = NameDuplicate
		}
		l := have.listed()
		return row, false, &NameError{Problem: p, County: e.County, Indicator: e.Indicator, Name: op.name, Listed: &l}
	}
	if typed && !op.distinct {
		near, ok, err := listedByFirm(tx, k, row.Firm)
		if err != nil {
			return row, false, err
		}
		if ok {
			l := near.listed()
			return row, false, &NameError{Problem: NameNear, County: e.County, Indicator: e.Indicator, Name: op.name, Listed: &l}
		}
	}
	return row, false, nil
}

// checkLengths refuses a list longer than its count, and stores the new
// length of each list whose names changed.
func checkLengths(tx *gorm.DB, lengths, totals, named map[key]int) error {
	keys := make([]key, 0, len(lengths))
	for k := range lengths {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].county < keys[j].county || keys[i].county == keys[j].county && keys[i].ind < keys[j].ind
	})
	for _, k := range keys {
		n := lengths[k]
		if n > totals[k] {
			return &NameError{Problem: NamesOverCount, County: k.county, Indicator: k.ind, Amount: totals[k], Names: n}
		}
		if n != named[k] {
			if err := setNamed(tx, k, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// Elsewhere is a name a batch added whose firm is on another county's list.
type Elsewhere struct {
	Name   string // as added now
	County string // where it was added
	Listed Listed // on the other county's list
}

func (r NameRecord) listed() Listed {
	return Listed{ID: r.ID, BatchID: r.BatchID, County: r.County, Indicator: r.Indicator, Name: r.Name,
		UserID: r.UserID, UserName: r.UserName, CreatedAt: r.CreatedAt, Late: r.Late}
}

// markLate decides, inside the write transaction, whether the batch changes
// a county whose lists are closed: such a change is refused to anyone but an
// admin, and marked late.
func (s *Store) markLate(tx *gorm.DB, a Author, b *Batch, entries []Entry, now time.Time) error {
	if len(entries) == 0 {
		return nil
	}
	deadline := !s.ListsClose.IsZero() && !now.Before(s.ListsClose)
	confirmed, err := s.standingConfirmations(tx)
	if err != nil {
		return err
	}
	for i := range entries {
		e := &entries[i]
		var conf *Confirmation
		if c, ok := confirmed[e.County]; ok {
			conf = &c
		}
		if !deadline && conf == nil {
			continue
		}
		if !a.Admin {
			return &ClosedError{County: e.County, Confirmed: conf, Deadline: s.ListsClose}
		}
		e.Late, b.Late = true, true
	}
	return nil
}

// Names returns what is on the lists now, of one county or (county "") all,
// in the order the names were added.
func (s *Store) Names(ctx context.Context, county string) ([]Listed, error) {
	q := s.db.WithContext(ctx).Where("op = ?", NameAdd).Where(notEnded).Order("id")
	if county != "" {
		q = q.Where("county = ?", county)
	}
	var rows []NameRecord
	if err := q.Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("ledger: names: %w", err)
	}
	out := make([]Listed, len(rows))
	for i, r := range rows {
		out[i] = r.listed()
	}
	return out, nil
}

// MissingFromTutoring is note 1 for one county, worked out by the database:
// the named stations whose name is not on the county's tutoring list (an
// anti-join on the stored normalized names), without loading the lists.
// Each station costs two probes of the indexes (is it ended, is its name
// tutored), so the cost follows the county's stations, not its list.
func (s *Store) MissingFromTutoring(ctx context.Context, county string) ([]Listed, error) {
	var rows []NameRecord
	err := s.db.WithContext(ctx).
		Where("county = ? AND indicator IN ? AND op = ?", county, []Indicator{ProvincialStation, CityStation}, NameAdd).
		Where(notEnded).
		Where(`NOT EXISTS (SELECT 1 FROM names AS tutored WHERE tutored.county = names.county AND tutored.indicator = ?
			AND tutored.norm = names.norm AND tutored.op = ?
			AND NOT EXISTS (SELECT 1 FROM names AS ended WHERE ended.ends = tutored.id))`, Tutoring, NameAdd).
		Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("ledger: note 1 of %s: %w", county, err)
	}
	out := make([]Listed, len(rows))
	for i, r := range rows {
		out[i] = r.listed()
	}
	return out, nil
}

// ListedName loads a name that is on a list now, by the id of the row that
// put it there; ErrNotFound if it has left the list.
func (s *Store) ListedName(ctx context.Context, id int64) (Listed, error) {
	var r NameRecord
	err := s.db.WithContext(ctx).Where("id = ? AND op = ?", id, NameAdd).Where(notEnded).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Listed{}, ErrNotFound
	}
	if err != nil {
		return Listed{}, fmt.Errorf("ledger: name %d: %w", id, err)
	}
	return r.listed(), nil
}

// MissingFromTutoring applies note 1 of the notice to the lists: the tutored
// enterprises include the cultivated units, so every named station must also
// be on its county's tutoring list. It returns the stations that are not, in
// list order.
func MissingFromTutoring(names []Listed) []Listed {
	tutored := map[[2]string]bool{}
	for _, n := range names {
		if n.Indicator == Tutoring {
			tutored[[2]string{n.County, NormalizeName(n.Name)}] = true
		}
	}
	var out []Listed
	for _, n := range names {
		if (n.Indicator == ProvincialStation || n.Indicator == CityStation) && !tutored[[2]string{n.County, NormalizeName(n.Name)}] {
			out = append(out, n)
		}
	}
	return out
}
