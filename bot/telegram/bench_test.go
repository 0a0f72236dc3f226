package telegram_test

import (
	"context"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"tsbot/bot/telegram"
	"tsbot/bot/telegramtest"
	"tsbot/data"
	"tsbot/data/pgtest"
)

// statements, set with -tags sqlite_trace (trace_test.go), counts the
// SQLite statements run so far, by text.
var statements func() map[string]int64

func traced() map[string]int64 {
	if statements == nil {
		return nil
	}
	return statements()
}

// reportStatements reports the statements per update since before, and
// logs the commonest.
func reportStatements(b *testing.B, before map[string]int64, updates int) {
	if statements == nil {
		return
	}
	type stmt struct {
		text string
		n    int64
	}
	var all []stmt
	var total int64
	for text, n := range statements() {
		if d := n - before[text]; d > 0 {
			all = append(all, stmt{text, d})
			total += d
		}
	}
	slices.SortFunc(all, func(x, y stmt) int { return int(y.n - x.n) })
	for _, s := range all[:min(len(all), 25)] {
		b.Logf("%8.2f/update  %s", float64(s.n)/float64(updates), s.text)
	}
	b.ReportMetric(float64(total)/float64(updates), "stmts/update")
}

// BenchmarkTelegramRoundTrip is a user's message in through the fake Bot API
// on loopback, handled, written to SQLite (synchronous=FULL), and the reply
// out, with every user sending their next message once the reply arrived.
// Each user writes from a private chat of their own, through the real poll
// loop. CPU time covers the whole test process: bot, fake server and users.
//
// users=1 and users=20 run with the send limits off, to measure the bot;
// users=20,limits=telegram runs with Telegram's published limits (one
// message a second in a chat, short bursts allowed; 30 a second in all),
// which then set the pace: about 20 updates/s. The postgres/ runs are the
// first two on PostgreSQL (TSBOT_TEST_POSTGRES_DSN; CPU time then leaves
// out the server's), skipped, saying so, without it.
func BenchmarkTelegramRoundTrip(b *testing.B) {
	for _, bc := range []struct {
		name     string
		users    int
		limits   bool
		postgres bool
	}{
		{"users=1", 1, false, false},
		{"users=20", 20, false, false},
		{"users=20,limits=telegram", 20, true, false},
		{"postgres/users=1", 1, false, true},
		{"postgres/users=20", 20, false, true},
	} {
		users := bc.users
		b.Run(bc.name, func(b *testing.B) {
			counties := []string{"越城", "柯桥", "上虞", "诸暨", "新昌", "嵊州"}
			var people []data.Person
			for i := range users {
				people = append(people, data.Person{UserID: int64(5000 + i), Role: data.RoleCounty, County: counties[i%len(counties)]})
			}
			f := newFixture(b, people...)
			if bc.postgres {
				f.store = postgresStore(b, people)
			}
			if bc.limits {
				f.opts.Limits = telegram.DefaultSendLimits()
			}
			f.start()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			// Warm up: every chat known, the bot polling.
			roundTrip := func(u models.User) (time.Duration, error) {
				chat := telegramtest.PrivateChat(u)
				start := time.Now()
				_, id := f.srv.SendText(u, chat, "辅导企业 +1")
				err := f.srv.Wait(ctx, func() bool {
					_, ok := f.srv.Message(chat.ID, id+1)
					return ok
				})
				return time.Since(start), err
			}
			for i := range users {
				if _, err := roundTrip(models.User{ID: int64(5000 + i), FirstName: "U"}); err != nil {
					b.Fatal(err)
				}
			}

			stmts0 := traced()
			lat := make([]time.Duration, 0, b.N)
			var mu sync.Mutex
			var wg sync.WaitGroup
			var ru0, ru1 syscall.Rusage
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
			b.ResetTimer()
			start := time.Now()
			for i := range users {
				n := b.N / users
				if i < b.N%users {
					n++
				}
				wg.Add(1)
				go func(u models.User, n int) {
					defer wg.Done()
					for range n {
						d, err := roundTrip(u)
						if err != nil {
							b.Error(err)
							return
						}
						mu.Lock()
						lat = append(lat, d)
						mu.Unlock()
					}
				}(models.User{ID: int64(5000 + i), FirstName: "U"}, n)
			}
			wg.Wait()
			elapsed := time.Since(start)
			b.StopTimer()
			_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
			if len(lat) == 0 {
				return
			}
			reportStatements(b, stmts0, len(lat))
			slices.Sort(lat)
			cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()) + time.Duration(ru1.Stime.Nano()-ru0.Stime.Nano())
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "updates/s")
			b.ReportMetric(float64(cpu.Microseconds())/float64(len(lat)), "cpu-µs/update")
		})
	}
}

// postgresStore is a store of its own schema in TSBOT_TEST_POSTGRES_DSN's
// database, with people on the roster.
func postgresStore(b *testing.B, people []data.Person) *data.Store {
	b.Helper()
	s, err := data.Open(data.DatabaseConfig{Driver: "postgres", DSN: pgtest.DSN(b)}, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if err := s.SeedRoster(context.Background(), people); err != nil {
		b.Fatal(err)
	}
	return s
}
