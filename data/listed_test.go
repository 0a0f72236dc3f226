package data

import (
	"context"
	"errors"
	"testing"
)

// A database of a release before the stored firm keys and list lengths:
// the next start fills both in, and the checks that rely on them (a near
// duplicate, a count below the names listed) hold at once.
func TestMigrateFillsFirmKeysAndListLengths(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			s := openConfig(t, cfg)
			ctx := context.Background()
			a := Author{UserID: 1}
			if _, err := s.Record(ctx, a, []Change{{County: "柯桥", Indicator: Tutoring, Amount: 1, Names: []string{"甲纺织有限公司"}}}); err != nil {
				t.Fatal(err)
			}
			for _, q := range []string{`UPDATE names SET firm = ''`, `ALTER TABLE totals DROP COLUMN named`, `DELETE FROM generations`} {
				if err := s.db.Exec(q).Error; err != nil {
					t.Fatal(err)
				}
			}
			s.Close()
			s = openConfig(t, cfg)
			_, err := s.Record(ctx, a, []Change{{County: "柯桥", Indicator: Tutoring, Amount: 1, Names: []string{"甲纺织厂"}}})
			var ne *NameError
			if !errors.As(err, &ne) || ne.Problem != NameNear {
				t.Errorf("near duplicate after the upgrade: err = %v", err)
			}
			if _, err := s.Record(ctx, a, []Change{add("柯桥", Tutoring, -1)}); !errors.As(err, &ne) || ne.Problem != NamesOverCount {
				t.Errorf("count below the names after the upgrade: err = %v", err)
			}
		})
	}
}

// CheckTotals repairs a list length that disagrees with the names.
func TestCheckTotalsRepairsListLengths(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	if _, err := s.Record(ctx, Author{UserID: 1}, []Change{{County: "柯桥", Indicator: Tutoring, Amount: 2, Names: []string{"甲公司", "乙公司"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.db.Exec(`UPDATE totals SET named = 7`).Error; err != nil {
		t.Fatal(err)
	}
	if n, err := s.CheckTotals(ctx); err != nil || n != 1 {
		t.Fatalf("CheckTotals = %d, %v; want 1 repaired", n, err)
	}
	var named []int
	if err := s.db.Model(&Total{}).Pluck("named", &named).Error; err != nil || len(named) != 1 || named[0] != 2 {
		t.Errorf("named = %v, %v; want [2]", named, err)
	}
}
