package bot

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tsbot/data"
)

// The user's path at the scale of a full campaign: 1,000,000 ledger entries
// and 80,000 listed names. Nothing a user does may cost time that grows with
// the ledger (issue 14). Benchmarks only: plain `go test` never builds the
// fixture; `-bench AtScale` does, once per process.

const (
	scaleEntries = 1_000_000
	scaleNames   = 80_000
)

// scale is the fixture, built once per test binary run and shared by the
// sub-benchmarks (and by the framework's repeated calls of each): building
// it takes seconds, copying it for every b.N would dominate the run.
var scale struct {
	once sync.Once
	dir  string
	f    *benchFixture
	err  error
	seq  atomic.Int64
}

func TestMain(m *testing.M) {
	code := m.Run()
	if scale.f != nil {
		scale.f.store.Close()
	}
	if scale.dir != "" {
		os.RemoveAll(scale.dir)
	}
	os.Exit(code)
}

// BenchmarkAtScale is a named add, an undo and /status of one county with
// the ledger at 1M entries and 80k names.
func BenchmarkAtScale(b *testing.B) {
	f := scaleFixture(b)
	ctx := context.Background()
	say := func(text string) Reply {
		id := scale.seq.Add(1)
		return f.h.Handle(ctx, Message{UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: id, Text: text})
	}
	named := func() string {
		return fmt.Sprintf("辅导企业 +1 基准%d号精工机械有限公司", scale.seq.Add(1))
	}
	b.Run("named_add", func(b *testing.B) {
		for b.Loop() {
			if r := say(named()); !strings.HasPrefix(r.Text, "✅") {
				b.Fatalf("reply %q", r.Text)
			}
		}
	})
	b.Run("undo", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			if r := say(named()); !strings.HasPrefix(r.Text, "✅") {
				b.Fatalf("reply %q", r.Text)
			}
			b.StartTimer()
			if r := say("/undo"); !strings.Contains(r.Text, "撤销") {
				b.Fatalf("reply %q", r.Text)
			}
		}
	})
	// Start-up: open the database and check every total (and list length)
	// against the entries, beside the running store.
	b.Run("startup", func(b *testing.B) {
		for b.Loop() {
			s, err := data.Open(data.DatabaseConfig{Path: f.path}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := s.CheckTotals(ctx); err != nil {
				b.Fatal(err)
			}
			s.Close()
		}
	})
	b.Run("status_keqiao", func(b *testing.B) {
		for b.Loop() {
			if r := say("/status 柯桥"); !strings.Contains(r.Text, "柯桥") {
				b.Fatalf("reply %q", r.Text)
			}
		}
	})
}

func scaleFixture(b *testing.B) *benchFixture {
	b.Helper()
	if testing.Short() {
		b.Skip("the 1M-entry fixture is not built in -short mode")
	}
	scale.once.Do(func() { scale.f, scale.err = buildScale() })
	if scale.err != nil {
		b.Fatal(scale.err)
	}
	return scale.f
}

// buildScale creates the schema through the store, fills it with one raw
// transaction (recording a million updates one by one would take hours of
// fsyncs), then reopens the store, which rebuilds its totals as at start-up.
func buildScale() (*benchFixture, error) {
	dir, err := os.MkdirTemp("", "tsbot-scale-")
	if err != nil {
		return nil, err
	}
	scale.dir = dir
	path := filepath.Join(dir, "scale.db")
	c, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		return nil, err
	}
	s, err := data.Open(data.DatabaseConfig{Path: path}, nil)
	if err != nil {
		return nil, err
	}
	s.Close()
	if err := fillScale(path, &c); err != nil {
		return nil, err
	}
	start := time.Now()
	s, err = data.Open(data.DatabaseConfig{Path: path}, nil)
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	if _, err := s.CheckTotals(ctx); err != nil {
		return nil, err
	}
	err = s.SeedRoster(ctx, []data.Person{
		{UserID: keqiao, Role: data.RoleCounty, County: "柯桥"},
		{UserID: viewer, Role: data.RoleViewer},
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "scale fixture: open and check totals %v\n", time.Since(start).Round(time.Millisecond))
	return &benchFixture{h: NewHandler(s, &c, nil), store: s, path: path}, nil
}

// fillScale writes scaleEntries batches of one entry each, and scaleNames
// names on them: most on the tutoring lists, some stations (nearly all of
// them also tutored, as note 1 wants), and a tenth more that were added and
// taken off again.
func fillScale(path string, c *data.Campaign) error {
	db, err := sql.Open("sqlite3", "file:"+path+"?_journal_mode=WAL&_synchronous=OFF")
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	batch, err := tx.Prepare(`INSERT INTO batches (id, kind, channel, msg_id, user_id, user_name, chat_id, message_id, text, late, created_at) VALUES (?, 'update', '', '', ?, 'seed', ?, ?, 'seed', false, ?)`)
	if err != nil {
		return err
	}
	entry, err := tx.Prepare(`INSERT INTO entries (id, batch_id, county, indicator, op, amount, delta, line, user_id, user_name, chat_id, message_id, late, created_at) VALUES (?, ?, ?, ?, 'add', 1, 1, 'seed', ?, 'seed', ?, ?, false, ?)`)
	if err != nil {
		return err
	}
	name, err := tx.Prepare(`INSERT INTO names (batch_id, entry_id, county, indicator, norm, name, op, ends, late, user_id, user_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, false, ?, 'seed', ?)`)
	if err != nil {
		return err
	}
	addName := func(id int64, county string, ind data.Indicator, n, op string, ends any, at time.Time) (int64, error) {
		res, err := name.Exec(id, id, county, ind.Key(), data.NormalizeName(n), n, op, ends, 1000+id%50, at)
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	start := time.Now().UTC().Add(-scaleEntries * time.Second)
	per := map[[2]int]int{} // names so far per county and indicator
	listed := 0
	for i := range scaleEntries {
		id := int64(i + 1)
		ci := i % len(c.Counties)
		co := c.Counties[ci].Name
		ind := data.Indicators[(i/len(c.Counties))%data.NumIndicators]
		at := start.Add(time.Duration(i) * time.Second)
		user := 1000 + id%50
		if _, err := batch.Exec(id, user, user, id, at); err != nil {
			return err
		}
		if _, err := entry.Exec(id, id, co, ind.Key(), user, user, id, at); err != nil {
			return err
		}
		if listed >= scaleNames || ind == data.Zone {
			continue
		}
		k := per[[2]int{ci, int(ind)}]
		if ind != data.Tutoring && k >= scaleNames/len(c.Counties)/40 {
			continue // about 5% of the names are stations
		}
		per[[2]int{ci, int(ind)}] = k + 1
		n := fmt.Sprintf("%s%05d纺织科技有限公司", co, k) // a station of this name is tutored too (note 1)
		switch {
		case ind == data.CityStation && k%50 != 0:
			n = fmt.Sprintf("%s%05d纺织科技有限公司", co, k+1)
		case ind != data.Tutoring && k%50 == 0:
			n = fmt.Sprintf("%s站%05d印染有限公司", co, k) // not tutored: note 1 flags it
		}
		if _, err := addName(id, co, ind, n, data.NameAdd, nil, at); err != nil {
			return err
		}
		listed++
		if k%10 == 9 { // a name added and taken off again, under the same entry
			gone, err := addName(id, co, ind, n+"旧", data.NameAdd, nil, at)
			if err != nil {
				return err
			}
			if _, err := addName(id, co, ind, n+"旧", data.NameRemove, gone, at); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}
