package data

import (
	"context"
	"testing"
)

// A name written by a release before NormalizeName ignored zero-width
// characters (83d909f) has a stored norm that holds one. The lists are
// looked up by the stored norm (listedByNorm, note 1's anti-join, a unit's
// details), so after the upgrade that firm can no longer be taken off its
// list, is recorded twice, and note 1 disagrees with itself — unless the
// stored norms are brought up to date at start-up, like the firm keys.
func TestStaleNormsRecomputedAtUpgrade(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			old := openConfig(t, cfg)
			ctx := context.Background()
			a := Author{UserID: 9, ChatID: 9, MessageID: 1}
			if _, err := old.Record(ctx, a, []Change{named("柯桥", Tutoring, 1, "甲纺织有限公司"), named("柯桥", CityStation, 2, "甲纺织有限公司", "乙示范点")}); err != nil {
				t.Fatal(err)
			}
			// What the release before wrote for names pasted with a U+200B.
			for _, n := range []struct {
				ind  Indicator
				name string
			}{{Tutoring, "甲纺织有限公司"}, {CityStation, "乙示范点"}} {
				pasted := n.name + "\u200b"
				err := old.db.Exec("UPDATE names SET name = ?, norm = ?, firm = '' WHERE indicator = ? AND name = ?", pasted, pasted, n.ind, n.name).Error
				if err != nil {
					t.Fatal(err)
				}
			}
			// A release before had no generations rows.
			if err := old.db.Exec("DELETE FROM generations").Error; err != nil {
				t.Fatal(err)
			}
			old.Close()

			s := openConfig(t, cfg)
			missing, err := s.MissingFromTutoring(ctx, "柯桥")
			if err != nil {
				t.Fatal(err)
			}
			names, err := s.Names(ctx, "柯桥")
			if err != nil {
				t.Fatal(err)
			}
			if want := MissingFromTutoring(names); len(missing) != len(want) {
				t.Errorf("note 1 from the database: %d stations, from the lists: %d", len(missing), len(want))
			}
			a.MessageID = 2
			if _, err := s.Record(ctx, a, []Change{named("柯桥", Tutoring, -1, "甲纺织有限公司")}); err != nil {
				t.Errorf("taking the firm off its list: %v", err)
			}
			a.MessageID = 3
			_, err = s.Record(ctx, a, []Change{named("柯桥", CityStation, 1, "乙示范点"+DistinctMark)})
			if p, ok := nameProblem(err); !ok || p != NameDuplicate {
				t.Errorf("the same unit added again: err = %v, want a duplicate", err)
			}
			if n, err := s.CheckTotals(ctx); err != nil || n != 0 {
				t.Errorf("check totals: %d repaired, %v", n, err)
			}
		})
	}
}
