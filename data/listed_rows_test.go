package data

import (
	"context"
	"reflect"
	"testing"
)

// ListedRows reads what Names reads: the same rows, the same order, a name
// taken off left out; on SQLite and PostgreSQL.
func TestListedRowsAreNames(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := Author{UserID: 7, Name: "张三"}
		for _, c := range []Change{
			{County: "柯桥", Indicator: Tutoring, Op: OpAdd, Amount: 2, Names: []string{"甲纺织有限公司", "乙印染有限公司"}},
			{County: "越城", Indicator: CityStation, Op: OpAdd, Amount: 1, Names: []string{"越城示范站"}},
			{County: "柯桥", Indicator: Tutoring, Op: OpAdd, Amount: -1, Names: []string{"甲纺织有限公司"}},
		} {
			if _, err := s.Record(ctx, a, []Change{c}); err != nil {
				t.Fatal(err)
			}
		}
		for _, county := range []string{"", "柯桥"} {
			want, err := s.Names(ctx, county)
			if err != nil {
				t.Fatal(err)
			}
			got, err := s.ListedRows(ctx, county)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 || !reflect.DeepEqual(got, want) {
				t.Errorf("ListedRows(%q) = %+v, want %+v", county, got, want)
			}
		}
	})
}
