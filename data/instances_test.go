package data

import (
	"context"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Two instances of the bot on one database, as two processes would run
// them: two Stores, each with its own connection pool and writer goroutine.
// Every update is delivered to both at once. Each is applied exactly once,
// the totals are exact, and the reminders are claimed once.
func TestTwoInstancesOneDatabase(t *testing.T) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) {
			cfg := ts.config(t)
			a, b := openConfig(t, cfg), openConfig(t, cfg)
			ctx := context.Background()
			counties := []string{"越城", "柯桥", "上虞", "诸暨", "新昌", "嵊州"}
			const updates = 240
			var fresh, dups atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, 2*updates)
			// Four senders per instance. Both get every update, one instance
			// from the first, the other from the last: most of the time they
			// write different updates of the same county at once (a lost
			// update if the two transactions interleaved), and in the middle
			// the same update at once (applied once).
			for n, s := range []*Store{a, b} {
				for w := range 4 {
					wg.Go(func() {
						for j := w; j < updates; j += 4 {
							i := j
							if n == 1 {
								i = updates - 1 - j
							}
							co := counties[i%len(counties)]
							au := Author{UserID: int64(100 + i%len(counties)), UpdateID: int64(5000 + i), ChatID: 1, MessageID: int64(i + 1)}
							out, err := s.Record(ctx, au, []Change{add(co, Tutoring, 1+i%3)})
							if err != nil {
								errs <- fmt.Errorf("update %d: %w", au.UpdateID, err)
								continue
							}
							if out.Duplicate {
								dups.Add(1)
							} else {
								fresh.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			if fresh.Load() != updates || dups.Load() != updates {
				t.Errorf("applied %d, duplicates %d; want %d each", fresh.Load(), dups.Load(), updates)
			}
			want := map[string]int{}
			for i := range updates {
				want[counties[i%len(counties)]] += 1 + i%3
			}
			for _, s := range []*Store{a, b} {
				got := mustTotals(t, s)
				for _, co := range counties {
					if got[co][Tutoring] != want[co] {
						t.Errorf("%s tutoring = %d, want %d", co, got[co][Tutoring], want[co])
					}
				}
			}
			var rows []struct {
				UpdateID int64
				N        int
			}
			if err := a.db.Raw("SELECT update_id, COUNT(*) AS n FROM batches WHERE update_id IS NOT NULL GROUP BY update_id").Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != updates {
				t.Errorf("%d updates recorded, want %d", len(rows), updates)
			}
			for _, r := range rows {
				if r.N != 1 {
					t.Errorf("update %d recorded %d times", r.UpdateID, r.N)
				}
			}
			if n, err := a.CheckTotals(ctx); err != nil || n != 0 {
				t.Errorf("totals disagree with the entries: %d repaired, %v", n, err)
			}

			// The reminders: both instances' passes claim the same keys.
			keys := []string{"county_nag:2027-09-30:d-7:柯桥", "contact_digest:2027-09-30:d-7", "acceptance:before"}
			var claims atomic.Int64
			for _, s := range []*Store{a, b} {
				for range 3 {
					wg.Go(func() {
						for _, k := range keys {
							for _, chat := range []int64{-100, 42} {
								ok, err := s.ClaimReminder(ctx, k, chat, testNow)
								if err != nil {
									t.Error(err)
									return
								}
								if ok {
									claims.Add(1)
								}
							}
						}
					})
				}
			}
			wg.Wait()
			if got := claims.Load(); got != int64(2*len(keys)) {
				t.Errorf("reminder claims won = %d, want %d (one per key and chat)", got, 2*len(keys))
			}
			sent, err := b.SentReminders(ctx, "county_nag:")
			if err != nil || len(sent) != 2 {
				t.Errorf("county_nag rows = %+v, %v; want 2", sent, err)
			}
		})
	}
}

// PostgreSQL lost while the bot runs: a write fails with an error (the
// handler answers "未保存，请稍后重试" and the poller does not acknowledge the
// update), and once the database answers again the store works without a
// restart. Terminating every connection of the pool is what a server
// restart does to the client; database/sql then opens new ones.
func TestPostgresConnectionLossRecovers(t *testing.T) {
	var pg testStore
	for _, ts := range testStores() {
		if ts.name == "postgres" {
			pg = ts
		}
	}
	cfg := pg.config(t)
	admin := openConfig(t, cfg) // another pool, as the DBA's psql
	// The bot's pool is named, so that only its connections are cut: other
	// tests (other packages, other processes) share the server.
	app := fmt.Sprintf("tsbot_loss_%d", time.Now().UnixNano())
	cfg.DSN = withApplicationName(t, cfg.DSN, app)
	s := openConfig(t, cfg)
	ctx := context.Background()
	stored := 0
	record := func(id int64) error {
		_, err := s.Record(ctx, Author{UserID: 1, UpdateID: id}, []Change{add("柯桥", Tutoring, 1)})
		if err == nil {
			stored++
		}
		return err
	}
	for i := range 3 {
		if err := record(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	var killed int
	err := admin.db.Raw(`SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = current_database() AND pid <> pg_backend_pid() AND application_name = ?`, app).Scan(&killed).Error
	if err != nil || killed == 0 {
		t.Fatalf("terminate backends: %d, %v", killed, err)
	}
	// The next writes may fail (a dead connection is only found out by
	// using it); they must fail loudly, and the store must come back.
	id := int64(100)
	deadline := time.Now().Add(10 * time.Second)
	var failures int
	for {
		id++
		err := record(id)
		if err == nil {
			break
		}
		failures++
		t.Logf("write after the connection loss: %v", err)
		if time.Now().After(deadline) {
			t.Fatalf("the store did not recover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err := record(id + 1); err != nil {
		t.Fatalf("second write after recovery: %v", err)
	}
	if got := mustTotals(t, s)["柯桥"][Tutoring]; got != stored {
		t.Errorf("total = %d, want %d (the writes that reported success, and only those)", got, stored)
	}
	t.Logf("%d connections terminated, %d writes failed before recovery", killed, failures)
}

// withApplicationName sets application_name in a URL-form DSN.
func withApplicationName(t *testing.T, dsn, name string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("DSN %q is not a postgres:// URL", dsn)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}
