package data

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"gorm.io/gorm"
)

// checkLedger asserts every total equals the sum of its entries and every
// stored list length equals the names listed now.
func checkLedger(t *testing.T, s *Store) {
	t.Helper()
	type row struct {
		County    string
		Indicator Indicator
		N         int
	}
	var sums, rows, named, live []row
	db := s.db
	if err := db.Raw("SELECT county, indicator, SUM(delta) AS n FROM entries GROUP BY county, indicator").Scan(&sums).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw("SELECT county, indicator, done AS n FROM totals").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw("SELECT county, indicator, named AS n FROM totals").Scan(&named).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Raw("SELECT county, indicator, COUNT(*) AS n FROM names WHERE op = 'add' AND " + notEnded + " GROUP BY county, indicator").Scan(&live).Error; err != nil {
		t.Fatal(err)
	}
	m := func(rs []row) map[key]int {
		out := map[key]int{}
		for _, r := range rs {
			if r.N != 0 {
				out[key{r.County, r.Indicator}] = r.N
			}
		}
		return out
	}
	if a, b := fmt.Sprint(m(sums)), fmt.Sprint(m(rows)); a != b {
		t.Errorf("sum(delta) %s != totals.done %s", a, b)
	}
	if a, b := fmt.Sprint(m(live)), fmt.Sprint(m(named)); a != b {
		t.Errorf("live names %s != totals.named %s", a, b)
	}
	for k, d := range m(rows) {
		if d < 0 {
			t.Errorf("%v below zero: %d", k, d)
		}
		if n := m(live)[k]; n > d {
			t.Errorf("%v: %d names over count %d", k, n, d)
		}
	}
}

// Many goroutines on two stores of one database record, undo, edit, set and
// cancel; the ledger stays exact.
func TestLedgerExactUnderConcurrentWrites(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			stores := []*Store{openConfig(t, cfg), openConfig(t, cfg)}
			counties := []string{"柯桥", "越城"}
			var wg sync.WaitGroup
			for g := range 8 {
				wg.Go(func() {
					r := rand.New(rand.NewPCG(uint64(g), 1))
					s := stores[g%2]
					uid := int64(100 + g)
					for i := range 40 {
						c := counties[r.IntN(2)]
						a := Author{UserID: uid, ChatID: uid, MessageID: int64(i)}
						ctx := context.Background()
						var cancel context.CancelFunc
						if r.IntN(6) == 0 {
							ctx, cancel = context.WithCancel(ctx)
							go cancel()
						}
						nm := fmt.Sprintf("企业%d-%d", g, i)
						switch r.IntN(7) {
						case 0:
							s.Record(ctx, a, []Change{add(c, Tutoring, 1+r.IntN(3))})
						case 1:
							s.Record(ctx, a, []Change{named(c, Tutoring, 1, nm), add(c, CityStation, 1)})
						case 2:
							s.Undo(ctx, a, 0)
						case 3:
							a.MessageID = int64(i - 1)
							s.Replace(ctx, a, []Change{named(c, Tutoring, 2, nm, nm+"乙")})
						case 4:
							s.Record(ctx, a, []Change{add(c, CityStation, -1), add(c, Tutoring, -1)})
						case 5:
							s.Record(ctx, a, []Change{set(c, Tutoring, r.IntN(6))})
						case 6:
							a.MessageID = int64(i - 1)
							s.Replace(ctx, a, nil)
						}
						if cancel != nil {
							cancel()
						}
					}
				})
			}
			wg.Wait()
			checkLedger(t, stores[0])
			if n, err := stores[0].CheckTotals(context.Background()); err != nil || n != 0 {
				t.Errorf("CheckTotals repaired %d, %v", n, err)
			}
		})
	}
}

// A batch refused part-way (below zero on its third entry, a duplicate name
// on its second, a set below the listed names) leaves totals, list lengths
// and lists as they were; an edit of a named message, its undo, an undo of
// the undo and a second undo; totals broken by hand and repaired.
func TestLedgerFailedBatchesEditsUndosRepairs(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		a := Author{UserID: 5, ChatID: 5, MessageID: 1}
		if _, err := s.Record(ctx, a, []Change{named("柯桥", Tutoring, 2, "甲公司", "乙公司"), add("柯桥", CityStation, 1)}); err != nil {
			t.Fatal(err)
		}
		checkLedger(t, s)
		// below zero on the 3rd entry
		a.MessageID = 2
		_, err := s.Record(ctx, a, []Change{add("柯桥", Tutoring, 1), named("越城", Tutoring, 1, "丙公司"), add("柯桥", CityStation, -2)})
		if err == nil {
			t.Fatal("want below zero")
		}
		checkLedger(t, s)
		if got := listNames(t, s, "越城", Tutoring); len(got) != 0 {
			t.Fatalf("越城 %v", got)
		}
		// a duplicate name mid-way
		_, err = s.Record(ctx, a, []Change{named("越城", Tutoring, 1, "丙公司"), named("柯桥", Tutoring, 1, "甲 公司")})
		if p, ok := nameProblem(err); !ok || p != NameDuplicate {
			t.Fatalf("dup: %v", err)
		}
		checkLedger(t, s)
		// set below the named count
		if _, err := s.Record(ctx, a, []Change{set("柯桥", Tutoring, 1)}); err == nil {
			t.Fatal("set below named")
		}
		checkLedger(t, s)
		// edit then undo the edit, then undo of the original
		a.MessageID = 1
		ed, err := s.Replace(ctx, a, []Change{named("柯桥", Tutoring, 1, "丁公司")})
		if err != nil {
			t.Fatal(err)
		}
		checkLedger(t, s)
		if got := listNames(t, s, "柯桥", Tutoring); fmt.Sprint(got) != "[丁公司]" {
			t.Fatalf("after edit %v", got)
		}
		u, err := s.Undo(ctx, a, ed.Batch.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkLedger(t, s)
		if _, err := s.Undo(ctx, a, u.Batch.ID); err == nil {
			t.Fatal("undo of an undo")
		}
		if _, err := s.Undo(ctx, a, ed.Batch.ID); err == nil {
			t.Fatal("undo twice")
		}
		checkLedger(t, s)
		// hand-broken totals repaired
		s.db.Exec("UPDATE totals SET named = named + 3, done = done + 1")
		if n, err := s.CheckTotals(ctx); err != nil || n == 0 {
			t.Fatalf("repair %d %v", n, err)
		}
		checkLedger(t, s)
		s.db.Exec("DELETE FROM totals")
		if n, err := s.CheckTotals(ctx); err != nil || n == 0 {
			t.Fatalf("repair %d %v", n, err)
		}
		checkLedger(t, s)
	})
}

// NormalizeName's fast path gives what the long way gives, on mixed strings
// of capitals, brackets, full-width letters and digits, spaces and
// zero-width characters; and a normalized name stays as it is.
func TestNormalizeNameFastPathAgrees(t *testing.T) {
	alphabet := []rune("aZ09 ()（）【】ＡＢａ１２　\t中文公司有限集团-_.,·\u200b\u00a0\u3000Ⅻﬁ〇㈱［］")
	r := rand.New(rand.NewPCG(1, 2))
	for range 200000 {
		n := r.IntN(8)
		rs := make([]rune, n)
		for i := range rs {
			rs[i] = alphabet[r.IntN(len(alphabet))]
		}
		s := string(rs)
		if a, b := NormalizeName(s), normalizeName(s); a != b {
			t.Fatalf("%q: fast %q slow %q", s, a, b)
		}
		if a := NormalizeName(s); NormalizeName(a) != a {
			t.Fatalf("%q: not idempotent %q -> %q", s, a, NormalizeName(a))
		}
	}
}

// One update delivered to both instances many times is recorded once.
func TestRedeliveredOnceAcrossStores(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			stores := []*Store{openConfig(t, cfg), openConfig(t, cfg)}
			var wg sync.WaitGroup
			var mu sync.Mutex
			dups := 0
			for g := range 8 {
				wg.Go(func() {
					for i := range 30 {
						a := Author{UserID: 9, ChatID: 9, MessageID: int64(i), UpdateID: int64(1000 + i)}
						ch := []Change{add("柯桥", Tutoring, 1)}
						if i%3 == 0 {
							ch = []Change{named("柯桥", Tutoring, 1, fmt.Sprintf("企业%d", i))}
						}
						out, err := stores[g%2].Record(context.Background(), a, ch)
						if err != nil {
							t.Error(g, i, err)
							return
						}
						if len(out.Effects) != 1 || out.Batch.ID == 0 {
							t.Errorf("outcome %+v", out)
						}
						mu.Lock()
						if out.Duplicate {
							dups++
						}
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if dups != 7*30 {
				t.Errorf("dups %d", dups)
			}
			if got := mustTotals(t, stores[1])["柯桥"][Tutoring]; got != 30 {
				t.Errorf("total %d", got)
			}
			checkLedger(t, stores[0])
		})
	}
}

// Close with writes queued behind a commit: the queued ones commit (one
// whose context was cancelled while it waited does not), a write after
// Close began is refused, and Close returns once all are done.
func TestCloseWhileWritesQueue(t *testing.T) {
	s := openTestStore(t)
	ctx := context.Background()
	release := make(chan struct{})
	first := make(chan error, 1)
	go func() {
		_, err := s.write(ctx, Author{UserID: 1}, KindUpdate, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
			<-release
			return planChanges([]Change{add("柯桥", Tutoring, 1)}), nil
		})
		first <- err
	}()
	waitFor(t, func() bool { s.w.mu.Lock(); defer s.w.mu.Unlock(); return s.w.busy })
	var wg sync.WaitGroup
	for range 10 {
		wg.Go(func() {
			if _, err := s.Record(ctx, Author{UserID: 2}, []Change{add("柯桥", Tutoring, 1)}); err != nil {
				t.Error(err)
			}
		})
	}
	ctx2, cancel := context.WithCancel(ctx)
	wg.Go(func() {
		_, err := s.Record(ctx2, Author{UserID: 3}, []Change{add("柯桥", Tutoring, 100)})
		if err == nil {
			t.Error("cancelled queued write committed")
		}
	})
	waitFor(t, func() bool { s.w.mu.Lock(); defer s.w.mu.Unlock(); return len(s.w.queue) == 11 })
	cancel()
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	waitFor(t, func() bool { s.w.mu.Lock(); defer s.w.mu.Unlock(); return s.w.closed })
	if _, err := s.Record(ctx, Author{UserID: 2}, []Change{add("柯桥", Tutoring, 1)}); err != ErrClosed {
		t.Errorf("after Close began: %v", err)
	}
	close(release)
	wg.Wait()
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatal(err)
	}

}

// Confirmations and reopenings on one instance, records on the other: no
// entry by staff lands while the county's lists stand confirmed.
func TestConfirmRaceAcrossStores(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			a, b := openConfig(t, cfg), openConfig(t, cfg)
			ctx := context.Background()
			var wg sync.WaitGroup
			stop := make(chan struct{})
			wg.Go(func() {
				defer close(stop)
				for range 40 {
					a.Confirm(ctx, Author{UserID: 1}, "柯桥", 0)
					a.Reopen(ctx, Author{UserID: 1, Admin: true}, "柯桥", "x")
				}
			})
			for g := range 4 {
				wg.Go(func() {
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						s := b
						if g == 0 {
							s = a
						}
						s.Record(ctx, Author{UserID: int64(10 + g), ChatID: 1, MessageID: int64(i)}, []Change{add("柯桥", Tutoring, 1)})
					}
				})
			}
			wg.Wait()
			type iv struct{ From, To int64 }
			var ivs []iv
			a.db.Raw(`SELECT c.batch_id AS "from", COALESCE(r.batch_id, 1<<62) AS "to" FROM confirmations c LEFT JOIN reopenings r ON r.confirmation_id = c.id`).Scan(&ivs)
			var ids []int64
			a.db.Raw("SELECT batch_id FROM entries WHERE county = '柯桥' AND late = ?", false).Scan(&ids)
			if len(ivs) == 0 || len(ids) == 0 {
				t.Fatalf("nothing happened: %d %d", len(ivs), len(ids))
			}
			for _, id := range ids {
				for _, v := range ivs {
					if id > v.From && id < v.To {
						t.Errorf("batch %d recorded while confirmed by %d until %d", id, v.From, v.To)
					}
				}
			}
			checkLedger(t, a)
		})
	}
}

// A write whose context is cancelled inside its transaction, on the inline
// path, rolls back whole (names, list lengths, totals), and the next write
// on the same store commits.
func TestCancelledInlineWriteRollsBack(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		bg := context.Background()
		if _, err := s.Record(bg, Author{UserID: 1}, []Change{named("柯桥", Tutoring, 2, "甲公司", "乙公司")}); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			ctx, cancel := context.WithCancel(bg)
			_, err := s.write(ctx, Author{UserID: 1, MessageID: int64(i)}, KindUpdate, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
				if i%2 == 0 {
					cancel()
				}
				return planChanges([]Change{named("柯桥", Tutoring, 1, "丙公司"), add("柯桥", CityStation, 1)}), nil
			})
			cancel()
			if i%2 == 0 && err == nil {
				t.Fatalf("%d: cancelled write committed", i)
			}
			if i%2 == 1 {
				if err != nil {
					t.Fatalf("%d: %v", i, err)
				}
				if _, err := s.Undo(bg, Author{UserID: 1}, 0); err != nil {
					t.Fatal(err)
				}
			}
			checkLedger(t, s)
		}
		if got := mustTotals(t, s)["柯桥"]; got[Tutoring] != 2 || got[CityStation] != 0 {
			t.Errorf("totals %v", got)
		}
	})
}
