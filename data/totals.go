package data

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Totals: the running sums kept beside the entries, read by every reply, and
// checked against the entries at start-up.

// Totals returns the done figures of every county that has any entry.
func (s *Store) Totals(ctx context.Context) (map[string]Counts, error) {
	var rows []Total
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("ledger: totals: %w", err)
	}
	out := make(map[string]Counts, 8)
	for _, r := range rows {
		if r.Indicator.Valid() {
			c := out[r.County]
			c[r.Indicator] = r.Done
			out[r.County] = c
		}
	}
	return out, nil
}

// CheckTotals recomputes every total from the entries and repairs the totals
// table if it disagrees (it never should: both change in one transaction).
// It returns how many totals were repaired. It runs as a write transaction:
// another instance on the same database may be writing, and a batch that
// committed between the sum and the read of the totals would otherwise look
// like drift and be "repaired" away.
func (s *Store) CheckTotals(ctx context.Context) (int, error) {
	var fixed int
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		var err error
		if fixed, err = repairTotals(tx); err != nil {
			return err
		}
		n, err := repairNamed(tx)
		fixed += n
		return err
	})
	if err != nil {
		return 0, err
	}
	if fixed > 0 {
		s.log.Warn("totals repaired from entries", slog.Int("count", fixed))
	}
	return fixed, nil
}

func repairTotals(tx *gorm.DB) (int, error) {
	type sum struct {
		County    string
		Indicator Indicator
		Done      int
	}
	var sums []sum
	err := tx.Model(&Entry{}).
		Select("county, indicator, SUM(delta) AS done").Group("county, indicator").Scan(&sums).Error
	if err != nil {
		return 0, fmt.Errorf("ledger: sum entries: %w", err)
	}
	var rows []Total
	if err := tx.Find(&rows).Error; err != nil {
		return 0, fmt.Errorf("ledger: totals: %w", err)
	}
	have := map[key]int{}
	for _, r := range rows {
		if r.Indicator.Valid() {
			have[key{r.County, r.Indicator}] = r.Done
		}
	}
	var fix []Total
	for _, s := range sums {
		if !s.Indicator.Valid() {
			continue // a key no indicator has: not a total of ours
		}
		k := key{s.County, s.Indicator}
		if d, ok := have[k]; !ok || d != s.Done {
			fix = append(fix, Total{County: s.County, Indicator: s.Indicator, Done: s.Done})
		}
		delete(have, k)
	}
	for k, d := range have {
		if d != 0 {
			fix = append(fix, Total{County: k.county, Indicator: k.ind, Done: 0})
		}
	}
	if len(fix) == 0 {
		return 0, nil
	}
	err = tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "county"}, {Name: "indicator"}},
		DoUpdates: clause.AssignmentColumns([]string{"done"}),
	}).Create(&fix).Error
	if err != nil {
		return 0, fmt.Errorf("ledger: repair totals: %w", err)
	}
	return len(fix), nil
}

func loadTotals(tx *gorm.DB, entries []Entry) (map[key]int, error) {
	totals := map[key]int{}
	if len(entries) == 0 {
		return totals, nil
	}
	var rows []Total
	if err := tx.Where("county IN ?", countiesOf(entries)).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("ledger: load totals: %w", err)
	}
	for _, r := range rows {
		if r.Indicator.Valid() {
			totals[key{r.County, r.Indicator}] = r.Done
		}
	}
	return totals, nil
}

// applyTotals works out each entry's delta and adds it to its total, in
// entry order, refusing a total that would go below zero: the caller's
// transaction (or savepoint) then rolls everything back. It returns the
// totals after the whole batch, and the length of each list before it.
func applyTotals(tx *gorm.DB, entries []Entry) (totals, named map[key]int, err error) {
	totals = make(map[key]int, len(entries))
	named = make(map[key]int, len(entries))
	for i := range entries {
		e := &entries[i]
		k := key{e.County, e.Indicator}
		e.Delta = e.Amount
		if e.Op == OpSet {
			cur, err := readTotal(tx, k)
			if err != nil {
				return nil, nil, err
			}
			e.Delta = e.Amount - cur
		}
		t, err := addTotal(tx, k, e.Delta)
		if err != nil {
			return nil, nil, err
		}
		if t.Done < 0 {
			return nil, nil, &BelowZeroError{County: e.County, Indicator: e.Indicator, Done: t.Done - e.Delta, Delta: e.Delta}
		}
		totals[k], named[k] = t.Done, t.Named
	}
	return totals, named, nil
}

// readTotal is one total inside the write transaction (0 if none): what a
// set (=N) is relative to.
func readTotal(tx *gorm.DB, k key) (int, error) {
	var done []int
	err := tx.Model(&Total{}).Where("county = ? AND indicator = ?", k.county, k.ind).Pluck("done", &done).Error
	if err != nil {
		return 0, fmt.Errorf("ledger: read total %s %s: %w", k.county, k.ind.Key(), err)
	}
	if len(done) == 0 {
		return 0, nil
	}
	return done[0], nil
}
