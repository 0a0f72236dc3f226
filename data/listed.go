package data

// Point lookups on the lists, for the write path: a named add, a removal or
// an undo asks the index about the names in the batch only, never loads a
// county's list (tens of thousands of names at the end of a campaign, and
// inside the writer's transaction, where every other writer waits).
//
// "Listed now" is an add row no removal row ends: NOT EXISTS on the unique
// index of ends, one probe per candidate row. (NOT IN over a subquery
// builds the set of every ended id first, on SQLite and PostgreSQL alike.)

import (
	"fmt"

	"gorm.io/gorm"
)

// notEnded keeps the add rows of names that are still listed.
const notEnded = "NOT EXISTS (SELECT 1 FROM names AS ended WHERE ended.ends = names.id)"

// listedByNorm is the name listed now on list k under the normalized name
// norm (the latest, should there ever be two).
func listedByNorm(tx *gorm.DB, k key, norm string) (NameRecord, bool, error) {
	var rows []NameRecord
	err := tx.Where("county = ? AND indicator = ? AND norm = ? AND op = ?", k.county, k.ind, norm, NameAdd).
		Where(notEnded).Order("id DESC").Limit(1).Find(&rows).Error
	if err != nil {
		return NameRecord{}, false, fmt.Errorf("ledger: look up name on %s %s: %w", k.county, k.ind.Key(), err)
	}
	if len(rows) == 0 {
		return NameRecord{}, false, nil
	}
	return rows[0], true, nil
}

// listedByFirm is the first name listed now on list k that is firm (its
// FirmKey): the near duplicate a new name is asked about.
func listedByFirm(tx *gorm.DB, k key, firm string) (NameRecord, bool, error) {
	var rows []NameRecord
	err := tx.Where("firm = ? AND county = ? AND indicator = ? AND op = ?", firm, k.county, k.ind, NameAdd).
		Where(notEnded).Order("id").Limit(1).Find(&rows).Error
	if err != nil {
		return NameRecord{}, false, fmt.Errorf("ledger: look up firm on %s %s: %w", k.county, k.ind.Key(), err)
	}
	if len(rows) == 0 {
		return NameRecord{}, false, nil
	}
	return rows[0], true, nil
}

// elsewhere finds, for the names a batch added, the same firm on other
// counties' lists (any indicator), in list order: one query on the firm
// index, only for a batch that adds names.
func elsewhere(tx *gorm.DB, added []NameRecord) ([]Elsewhere, error) {
	if len(added) == 0 {
		return nil, nil
	}
	keys := make([]string, len(added))
	for i, a := range added {
		keys[i] = a.Firm
	}
	var rows []NameRecord
	err := tx.Where("firm IN ? AND op = ?", keys, NameAdd).Where(notEnded).Order("id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("ledger: look up firms on other lists: %w", err)
	}
	var out []Elsewhere
	for _, r := range rows {
		for _, a := range added {
			if r.County != a.County && r.Firm == a.Firm {
				out = append(out, Elsewhere{Name: a.Name, County: a.County, Listed: r.listed()})
				break
			}
		}
	}
	return out, nil
}

// setNamed stores the length of list k after a batch changed its names.
func setNamed(tx *gorm.DB, k key, n int) error {
	err := tx.Model(&Total{}).Where("county = ? AND indicator = ?", k.county, k.ind).Update("named", n).Error
	if err != nil {
		return fmt.Errorf("ledger: update list length %s %s: %w", k.county, k.ind.Key(), err)
	}
	return nil
}

// firmKeyVersion names the rules of FirmKey the stored keys were made by.
// Change it with FirmKey's word lists: the next start recomputes every key.
const firmKeyVersion = 1

// genFirmKeys is the generations row holding the firmKeyVersion the stored
// keys follow.
const genFirmKeys = "firm_keys"

// fillFirmKeys stores FirmKey of every name that has none yet (rows of a
// release before the column, or written by hand), or of every name when
// the rules changed. At start-up; a no-op costs one index probe.
func fillFirmKeys(tx *gorm.DB) error {
	v, err := readGeneration(tx, genFirmKeys)
	if err != nil {
		return err
	}
	q := tx.Model(&NameRecord{}).Select("id", "name")
	if v == firmKeyVersion {
		var one []int64
		if err := tx.Model(&NameRecord{}).Where("firm = ''").Limit(1).Pluck("id", &one).Error; err != nil {
			return fmt.Errorf("firm keys: %w", err)
		}
		if len(one) == 0 {
			return nil
		}
		q = q.Where("firm = ''")
	}
	var rows []NameRecord
	if err := q.Find(&rows).Error; err != nil {
		return fmt.Errorf("firm keys: %w", err)
	}
	for _, r := range rows {
		if err := tx.Model(&NameRecord{}).Where("id = ?", r.ID).Update("firm", FirmKey(r.Name)).Error; err != nil {
			return fmt.Errorf("firm keys: %w", err)
		}
	}
	err = tx.Exec(`INSERT INTO generations (name, token) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token`, genFirmKeys, firmKeyVersion).Error
	if err != nil {
		return fmt.Errorf("firm keys: %w", err)
	}
	return nil
}

// normVersion names the rules of NormalizeName the stored norms (names.norm,
// name_details.norm) were made by. The lists are looked up by the stored
// norm, not by normalizing what is loaded: a name written under older rules
// (before zero-width characters were ignored, 83d909f) could otherwise no
// longer be found on its list, and would be recorded twice. Change it with
// NormalizeName's rules: the next start recomputes every norm.
const normVersion = 1

// genNorms is the generations row holding the normVersion the stored norms
// follow.
const genNorms = "name_norms"

// fillNorms brings every stored norm to NormalizeName's rules of now, once
// per normVersion. At start-up; a no-op costs one primary-key read.
func fillNorms(tx *gorm.DB) error {
	v, err := readGeneration(tx, genNorms)
	if err != nil {
		return err
	}
	if v == normVersion {
		return nil
	}
	for _, table := range []string{"names", "name_details"} {
		type row struct {
			ID   int64
			Name string
			Norm string
		}
		var rows []row
		if err := tx.Table(table).Select("id", "name", "norm").Scan(&rows).Error; err != nil {
			return fmt.Errorf("norms: %s: %w", table, err)
		}
		for _, r := range rows {
			if n := NormalizeName(r.Name); n != r.Norm {
				if err := tx.Table(table).Where("id = ?", r.ID).Update("norm", n).Error; err != nil {
					return fmt.Errorf("norms: %s: %w", table, err)
				}
			}
		}
	}
	err = tx.Exec(`INSERT INTO generations (name, token) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token`, genNorms, normVersion).Error
	if err != nil {
		return fmt.Errorf("norms: %w", err)
	}
	return nil
}

// repairNamed recomputes the length of every list from the names and
// repairs the totals' Named where it disagrees; it returns how many. A
// list's length is its adds less its removals: a removal always ends an
// add of its own list (nameRow looks the add up there), and at most one.
// One pass over the table, at start-up: probing every add for its removal
// took longer than the rest of the start.
func repairNamed(tx *gorm.DB) (int, error) {
	type count struct {
		County    string
		Indicator Indicator
		Named     int
	}
	var counts []count
	err := tx.Model(&NameRecord{}).Select("county, indicator, SUM(CASE WHEN op = ? THEN 1 ELSE -1 END) AS named", NameAdd).
		Group("county, indicator").Scan(&counts).Error
	if err != nil {
		return 0, fmt.Errorf("ledger: count names: %w", err)
	}
	var rows []Total
	if err := tx.Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("ledger: totals: %w", err)
	}
	have := map[key]int{}
	for _, r := range rows {
		have[key{r.County, r.Indicator}] = r.Named
	}
	fixed := 0
	for _, c := range counts {
		k := key{c.County, c.Indicator}
		if n, ok := have[k]; ok && n == c.Named || !c.Indicator.Valid() {
			delete(have, k)
			continue
		}
		delete(have, k)
		err := tx.Exec(`INSERT INTO totals (county, indicator, done, named) VALUES (?, ?, 0, ?)
			ON CONFLICT (county, indicator) DO UPDATE SET named = excluded.named`, k.county, k.ind, c.Named).Error
		if err != nil {
			return 0, fmt.Errorf("ledger: repair list length: %w", err)
		}
		fixed++
	}
	for k, n := range have {
		if n != 0 && k.ind.Valid() {
			if err := setNamed(tx, k, 0); err != nil {
				return 0, err
			}
			fixed++
		}
	}
	return fixed, nil
}
