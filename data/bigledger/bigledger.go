// Package bigledger builds, for benchmarks, a SQLite ledger the size of a
// province's season (a million entries, tens of thousands of names) in
// seconds: rows go straight into the tables in one transaction, with the
// indexes built once afterwards, not through the ledger's writer (which
// would take hours of fsyncs). Each spec is built once per test process and
// copied for every benchmark, since the benchmarks write to their copy.
// Only benchmarks import it.
package bigledger

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3"

	"tsbot/data"
)

// Spec is the shape of a ledger.
type Spec struct {
	Counties []string // round robin over them
	Entries  int      // ledger entries, the named ones included
	Names    int      // names put on a list (one entry each); a hundredth of them taken off again
	Now      time.Time
	Days     int // the entries are spread evenly over the Days before Now
}

// Province is the ledger of the targets: a million entries, 80,000
// names, over a season of 180 days before now.
func Province(counties []string, now time.Time) Spec {
	return Spec{Counties: counties, Entries: 1_000_000, Names: 80_000, Now: now, Days: 180}
}

func (s Spec) key() string {
	return fmt.Sprintf("%s|%d|%d|%d|%d", strings.Join(s.Counties, ","), s.Entries, s.Names, s.Now.UnixNano(), s.Days)
}

var (
	mu      sync.Mutex
	masters = map[string]string{}
)

// Copy returns the path of a fresh copy of the ledger of s in tb's temp
// dir, named tsbot.db, building it first if this process has not yet.
func Copy(tb testing.TB, s Spec) string {
	tb.Helper()
	master, err := masterOf(s)
	if err != nil {
		tb.Fatalf("bigledger: %v", err)
	}
	path := filepath.Join(tb.TempDir(), "tsbot.db")
	if err := copyFile(master, path); err != nil {
		tb.Fatalf("bigledger: %v", err)
	}
	return path
}

func masterOf(s Spec) (string, error) {
	mu.Lock()
	defer mu.Unlock()
	if p, ok := masters[s.key()]; ok {
		return p, nil
	}
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, fmt.Sprintf("ledger-%d.db", len(masters)))
	start := time.Now()
	if err := build(path, s); err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "bigledger: %d entries, %d names, %d counties built in %v\n", s.Entries, s.Names, len(s.Counties), time.Since(start).Round(time.Millisecond))
	masters[s.key()] = path
	return path, nil
}

// cacheDir is this process's dir under the system's temp dir. A test
// binary has no hook at its exit, so the dirs of processes that are gone
// are removed here instead: at most one run's ledgers stay behind.
func cacheDir() (string, error) {
	old, _ := filepath.Glob(filepath.Join(os.TempDir(), "tsbot-bigledger-*"))
	for _, d := range old {
		pid, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(d), "tsbot-bigledger-"))
		if err == nil && pid != os.Getpid() && syscall.Kill(pid, 0) == syscall.ESRCH {
			os.RemoveAll(d)
		}
	}
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("tsbot-bigledger-%d", os.Getpid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("cache dir: %w", err)
	}
	return dir, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return fmt.Errorf("copy: %w", err)
	}
	if err := dst.Close(); err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	return nil
}

// build makes the schema with the store's own migrations, then fills it.
func build(path string, s Spec) error {
	store, err := data.Open(data.DatabaseConfig{Path: path}, nil)
	if err != nil {
		return err
	}
	store.Close()
	db, err := sql.Open("sqlite3", "file:"+path+"?_synchronous=OFF")
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	indexes, err := dropIndexes(ctx, db)
	if err != nil {
		return err
	}
	if err := fill(ctx, db, s); err != nil {
		return err
	}
	for _, q := range indexes {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("index: %w", err)
		}
	}
	if _, err := db.ExecContext(ctx, "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return fmt.Errorf("analyze: %w", err)
	}
	return nil
}

// dropIndexes drops the indexes of the tables filled (inserting into them
// costs three times building them once) and returns how to make them again.
func dropIndexes(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL
		AND tbl_name IN ('batches', 'entries', 'names', 'name_details')`)
	if err != nil {
		return nil, fmt.Errorf("indexes: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, fmt.Errorf("indexes: %w", err)
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	for _, n := range names {
		if _, err := db.ExecContext(ctx, "DROP INDEX `"+n+"`"); err != nil {
			return nil, fmt.Errorf("drop index %s: %w", n, err)
		}
	}
	return defs, nil
}

// statements of fill, prepared once.
const (
	insBatch  = `INSERT INTO batches (id, kind, user_id, user_name, chat_id, message_id, text, created_at) VALUES (?, 'update', ?, '张三', ?, ?, ?, ?)`
	insEntry  = `INSERT INTO entries (id, batch_id, county, indicator, op, amount, delta, line, user_id, user_name, chat_id, message_id, created_at) VALUES (?, ?, ?, ?, 'add', ?, ?, ?, ?, '张三', ?, ?, ?)`
	insName   = `INSERT INTO names (id, batch_id, entry_id, county, indicator, norm, name, firm, op, ends, user_id, user_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '张三', ?)`
	insDetail = `INSERT INTO name_details (batch_id, county, norm, name, field, value, user_id, user_name, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, '张三', ?)`
	insTotal  = `INSERT INTO totals (county, indicator, done, named) VALUES (?, ?, ?, ?)`
)

// fill writes the entries in time order, as the one writer records them:
// first the named adds (an eighth of them stations, the rest tutored
// enterprises, a quarter with a credit code, contact and phone), then the
// removals of a hundredth of them, then unnamed changes (one in twenty a
// correction of -1), each its own batch; then the totals they sum to.
func fill(ctx context.Context, db *sql.DB, s Spec) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	st := map[string]*sql.Stmt{}
	for _, q := range []string{insBatch, insEntry, insName, insDetail, insTotal} {
		if st[q], err = tx.PrepareContext(ctx, q); err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
	}
	w := &writer{ctx: ctx, st: st, s: s, totals: map[string]*data.Counts{}, listLen: map[string]*data.Counts{}}
	w.step = time.Duration(s.Days) * 24 * time.Hour / time.Duration(max(1, s.Entries))
	w.start = s.Now.Add(-time.Duration(s.Days) * 24 * time.Hour).UTC()
	if err := w.all(); err != nil {
		return err
	}
	for _, co := range s.Counties {
		for _, ind := range data.Indicators {
			done, named := 0, 0
			if t := w.totals[co]; t != nil {
				done = t[ind]
			}
			if n := w.listLen[co]; n != nil {
				named = n[ind]
			}
			if _, err := st[insTotal].ExecContext(ctx, co, ind.Key(), done, named); err != nil {
				return fmt.Errorf("total: %w", err)
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

type nameRow struct {
	county     string
	ind        data.Indicator
	name, norm string
}

type writer struct {
	ctx     context.Context
	st      map[string]*sql.Stmt
	s       Spec
	start   time.Time
	step    time.Duration
	id      int64 // the last entry (and batch) written
	totals  map[string]*data.Counts
	listLen map[string]*data.Counts // the names listed now, per county and indicator
	names   []nameRow               // each name, by name id - 1
}

func (w *writer) all() error {
	rng := rand.New(rand.NewPCG(14, 1)) // fixed: the same ledger every run
	for i := range w.s.Names {
		co := w.s.Counties[i%len(w.s.Counties)]
		ind := data.Tutoring
		if i%8 == 7 {
			ind = data.CityStation
		}
		if err := w.named(int64(i+1), co, ind, fmt.Sprintf("%s测试%s企业%06d有限公司", co, ind.Short(), i+1), i%4 == 0); err != nil {
			return err
		}
	}
	removed := int64(w.s.Names + 1)
	for i := 0; i < w.s.Names; i += 100 {
		if err := w.removal(removed, int64(i+1)); err != nil {
			return err
		}
		removed++
	}
	for w.id < int64(w.s.Entries) {
		co := w.s.Counties[rng.IntN(len(w.s.Counties))]
		ind := data.Indicators[rng.IntN(data.NumIndicators)]
		delta := 1
		if rng.IntN(20) == 0 {
			delta = -1
		}
		if err := w.entry(co, ind, delta, fmt.Sprintf("%s %s %+d", co, ind.Short(), delta)); err != nil {
			return err
		}
	}
	return nil
}

// entry writes the next batch and its one entry, and counts it.
func (w *writer) entry(county string, ind data.Indicator, delta int, line string) error {
	w.id++
	at := w.start.Add(time.Duration(w.id) * w.step)
	user := int64(3001 + w.id%30)
	if _, err := w.st[insBatch].ExecContext(w.ctx, w.id, user, user, w.id, line, at); err != nil {
		return fmt.Errorf("batch: %w", err)
	}
	if _, err := w.st[insEntry].ExecContext(w.ctx, w.id, w.id, county, ind.Key(), delta, delta, line, user, user, w.id, at); err != nil {
		return fmt.Errorf("entry: %w", err)
	}
	t := w.totals[county]
	if t == nil {
		t = &data.Counts{}
		w.totals[county] = t
	}
	t[ind] += delta
	return nil
}

func (w *writer) at() time.Time { return w.start.Add(time.Duration(w.id) * w.step) }

// named is an add of one name, with its details when detailed.
func (w *writer) named(id int64, county string, ind data.Indicator, name string, detailed bool) error {
	if err := w.entry(county, ind, 1, county+" "+ind.Short()+" +1 "+name); err != nil {
		return err
	}
	norm := data.NormalizeName(name)
	if _, err := w.st[insName].ExecContext(w.ctx, id, w.id, w.id, county, ind.Key(), norm, name, data.FirmKey(name), data.NameAdd, nil, 3001+w.id%30, w.at()); err != nil {
		return fmt.Errorf("name: %w", err)
	}
	w.count(county, ind, 1)
	w.names = append(w.names, nameRow{county, ind, name, norm})
	if !detailed {
		return nil
	}
	for _, d := range [][2]string{{"credit_code", "91330600MA2BCDEF1X"}, {"contact", "李四"}, {"phone", "13905751234"}} {
		if _, err := w.st[insDetail].ExecContext(w.ctx, w.id, county, norm, name, d[0], d[1], 3001+w.id%30, w.at()); err != nil {
			return fmt.Errorf("detail: %w", err)
		}
	}
	return nil
}

// removal takes name ends off its list, with an entry of -1.
func (w *writer) removal(id, ends int64) error {
	n := w.names[ends-1]
	if err := w.entry(n.county, n.ind, -1, n.county+" "+n.ind.Short()+" -1 "+n.name); err != nil {
		return err
	}
	if _, err := w.st[insName].ExecContext(w.ctx, id, w.id, w.id, n.county, n.ind.Key(), n.norm, n.name, data.FirmKey(n.name), data.NameRemove, ends, 3001+w.id%30, w.at()); err != nil {
		return fmt.Errorf("removal: %w", err)
	}
	w.count(n.county, n.ind, -1)
	return nil
}

// count keeps the length of each list, as totals.named does.
func (w *writer) count(county string, ind data.Indicator, d int) {
	n := w.listLen[county]
	if n == nil {
		n = &data.Counts{}
		w.listLen[county] = n
	}
	n[ind] += d
}
