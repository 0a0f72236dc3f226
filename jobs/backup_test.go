package jobs

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tsbot/data"
)

func openBackupStore(t *testing.T, path string) *data.Store {
	t.Helper()
	s, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: path}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// backupZone is the campaign's zone in these tests.
var backupZone = time.FixedZone("CST", 8*3600)

func TestBackupsKeepTheNewest(t *testing.T) {
	root := t.TempDir()
	s := openBackupStore(t, filepath.Join(root, "tsbot.db"))
	if _, err := s.Record(context.Background(), data.Author{UserID: 1}, []data.Change{{County: "柯桥", Indicator: data.Tutoring, Amount: 2}}); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "backups")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	old := []string{"tsbot-2027-09-16.db", "tsbot-2027-09-17.db", "tsbot-2027-09-18.db", "tsbot-2027-09-19.db", "notes.txt", "tsbot-manual.db"}
	for _, n := range old {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	b, err := NewBackups(s, data.BackupConfig{Dir: dir, Keep: 3, Time: "02:30"}, backupZone, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 18:31 UTC is 02:31 the next day in Shanghai: the file is named with
	// the campaign's date.
	b.Now = func() time.Time { return time.Date(2027, 9, 19, 18, 31, 0, 0, time.UTC) }
	res, err := b.RunOnce(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(dir, "tsbot-2027-09-20.db"); res.Path != want || res.Skipped != "" {
		t.Errorf("result = %+v, want %s written", res, want)
	}
	if len(res.Removed) != 2 {
		t.Errorf("removed %v, want the two oldest", res.Removed)
	}
	var names []string
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		names = append(names, e.Name())
	}
	want := ".tsbot-backup.lock notes.txt tsbot-2027-09-18.db tsbot-2027-09-19.db tsbot-2027-09-20.db tsbot-manual.db"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("folder = %s\nwant     %s", got, want)
	}
	// The copy is a database with the ledger in it.
	copyStore := openBackupStore(t, res.Path)
	if tot, err := copyStore.Totals(context.Background()); err != nil || tot["柯桥"][data.Tutoring] != 2 {
		t.Errorf("backup totals = %v, %v", tot, err)
	}
	// Later the same day: nothing to do.
	if res, err := b.RunOnce(context.Background()); err != nil || res.Skipped != SkipBackupExists {
		t.Errorf("second pass = %+v, %v; want skipped as existing", res, err)
	}
}

// Two processes on one SQLite file, both with the daily job: one backup.
func TestBackupsTwoProcessesBackUpOnce(t *testing.T) {
	root := t.TempDir()
	dbPath := filepath.Join(root, "tsbot.db")
	dir := filepath.Join(root, "backups")
	now := func() time.Time { return time.Date(2027, 9, 20, 2, 30, 0, 0, backupZone) }
	var jobs []*Backups
	for range 2 {
		b, err := NewBackups(openBackupStore(t, dbPath), data.BackupConfig{Dir: dir, Keep: 14, Time: "02:30"}, backupZone, nil)
		if err != nil {
			t.Fatal(err)
		}
		b.Now = now
		jobs = append(jobs, b)
	}
	var mu sync.Mutex
	written, skipped := 0, 0
	var wg sync.WaitGroup
	for _, b := range jobs {
		for range 3 {
			wg.Go(func() {
				res, err := b.RunOnce(context.Background())
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil:
					t.Error(err)
				case res.Skipped == "":
					written++
				default:
					skipped++
				}
			})
		}
	}
	wg.Wait()
	if written != 1 || skipped != 5 {
		t.Errorf("written %d, skipped %d; want 1 and 5", written, skipped)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "*.db*")); len(m) != 1 {
		t.Errorf("files = %v, want one backup", m)
	}
}

// A folder that cannot be written is logged, and the job goes on (the bot
// with it) until it is stopped.
func TestBackupsUnwritableFolderIsLogged(t *testing.T) {
	root := t.TempDir()
	s := openBackupStore(t, filepath.Join(root, "tsbot.db"))
	blocker := filepath.Join(root, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	var logMu sync.Mutex
	logger := newTestLogger(&log, &logMu)
	b, err := NewBackups(s, data.BackupConfig{Dir: filepath.Join(blocker, "backups"), Keep: 3, Time: "02:30"}, backupZone, logger)
	if err != nil {
		t.Fatal(err)
	}
	b.Now = func() time.Time { return time.Date(2027, 9, 20, 9, 0, 0, 0, backupZone) } // past 02:30: a catch-up pass at start
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for {
		logMu.Lock()
		got := log.String()
		logMu.Unlock()
		if strings.Contains(got, "backup: failed") && strings.Contains(got, "backup.dir") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no failure logged:\n%s", got)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

func TestNewBackupsNamesTheKey(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  data.BackupConfig
		key  string
	}{
		{"bad time", data.BackupConfig{Dir: "b", Keep: 3, Time: "2:30am"}, "backup.time"},
		{"keep zero", data.BackupConfig{Dir: "b", Keep: 0, Time: "02:30"}, "backup.keep"},
		{"no dir", data.BackupConfig{Keep: 3, Time: "02:30"}, "backup.dir"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewBackups(nil, tc.cfg, backupZone, nil)
			if err == nil || !strings.Contains(err.Error(), tc.key) {
				t.Errorf("err = %v, want one naming %s", err, tc.key)
			}
		})
	}
}

// lockedWriter lets the job's goroutine log while the test reads.
type lockedWriter struct {
	mu *sync.Mutex
	b  *bytes.Buffer
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func newTestLogger(b *bytes.Buffer, mu *sync.Mutex) *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{mu, b}, nil))
}
