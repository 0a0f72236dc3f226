package jobs

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"tsbot/data"
)

// Backuper is what the backup job needs of data.Store.
type Backuper interface {
	Backup(ctx context.Context, path string) error
}

// Backups makes the daily copy of the SQLite database into backup.dir, named
// with the date (tsbot-2027-09-20.db), and keeps the newest backup.keep.
//
// Two processes on one SQLite file (a second instance started by mistake,
// or `tsbot backup` from cron beside the bot) back up once a day between
// them: a pass holds an exclusive lock on backup.dir/.tsbot-backup.lock and
// skips a day whose file exists. The lock goes with the process that holds
// it, so a crash never leaves the job blocked.
type Backups struct {
	store  Backuper
	dir    string
	keep   int
	hour   int
	minute int
	loc    *time.Location
	log    *slog.Logger
	// Now is the clock of the cron ticks and of the file names.
	Now func() time.Time
}

// BackupResult is what one pass did.
type BackupResult struct {
	Path    string   // today's file
	Skipped string   // why nothing was written; "" when Path was written now
	Removed []string // older copies beyond backup.keep
}

// Reasons a pass writes nothing.
const (
	SkipBackupExists = "exists: today's backup was made already"
	SkipBackupBusy   = "busy: another process is making it"
)

// backupName matches the files the job writes, and no others: pruning never
// touches a file it did not make.
var backupName = regexp.MustCompile(`^tsbot-\d{4}-\d{2}-\d{2}\.db$`)

// NewBackups checks the backup config. Errors name the config key.
func NewBackups(store Backuper, cfg data.BackupConfig, loc *time.Location, log *slog.Logger) (*Backups, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(cfg.Dir) == "" {
		return nil, errors.New("jobs: backup.dir: empty (no daily backup)")
	}
	hour, minute, err := data.ParseClock(cfg.Time)
	if err != nil {
		return nil, fmt.Errorf("jobs: backup.time: %w", err)
	}
	if cfg.Keep < 1 {
		return nil, fmt.Errorf("jobs: backup.keep: %d; keep at least 1 copy", cfg.Keep)
	}
	if loc == nil {
		loc = time.UTC
	}
	return &Backups{store: store, dir: cfg.Dir, keep: cfg.Keep, hour: hour, minute: minute,
		loc: loc, log: log, Now: time.Now}, nil
}

// RunOnce makes today's backup unless it exists or another process is
// making it, then removes the copies beyond backup.keep.
func (b *Backups) RunOnce(ctx context.Context) (BackupResult, error) {
	day := b.Now().In(b.loc).Format("2006-01-02")
	res := BackupResult{Path: filepath.Join(b.dir, "tsbot-"+day+".db")}
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return res, fmt.Errorf("jobs: backup.dir: %w", err)
	}
	unlock, err := lockDir(filepath.Join(b.dir, ".tsbot-backup.lock"))
	if errors.Is(err, errLocked) {
		res.Skipped = SkipBackupBusy
		return res, nil
	}
	if err != nil {
		return res, fmt.Errorf("jobs: backup.dir: %w", err)
	}
	defer unlock()
	err = b.store.Backup(ctx, res.Path)
	switch {
	case errors.Is(err, fs.ErrExist):
		res.Skipped = SkipBackupExists
	case err != nil:
		return res, fmt.Errorf("jobs: backup: %w", err)
	}
	res.Removed, err = b.prune()
	return res, err
}

// prune removes the oldest backups beyond keep. The names sort by date.
func (b *Backups) prune() ([]string, error) {
	ents, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, fmt.Errorf("jobs: backup prune: %w", err)
	}
	var names []string
	for _, e := range ents {
		if e.Type().IsRegular() && backupName.MatchString(e.Name()) {
			names = append(names, e.Name())
		}
	}
	slices.Sort(names)
	var removed []string
	for len(names) > b.keep {
		p := filepath.Join(b.dir, names[0])
		if err := os.Remove(p); err != nil {
			return removed, fmt.Errorf("jobs: backup prune: %w", err)
		}
		removed = append(removed, p)
		names = names[1:]
	}
	return removed, nil
}

// Run makes a backup every day at backup.time in the campaign's zone until
// ctx ends, and once at start if today's is due and missing (the bot was
// down at backup.time). A failure, such as a folder that is not writable,
// is logged; the bot keeps serving and the next day tries again.
func (b *Backups) Run(ctx context.Context) error {
	pass := func() {
		res, err := b.RunOnce(ctx)
		switch {
		case err != nil:
			b.log.Error("backup: failed", slog.String("path", res.Path), slog.Any("err", err))
		case res.Skipped != "":
			b.log.Info("backup: skipped", slog.String("path", res.Path), slog.String("reason", res.Skipped))
		default:
			b.log.Info("backup: written", slog.String("path", res.Path), slog.Int("removed", len(res.Removed)))
		}
	}
	c := cron.New(cron.WithLocation(b.loc), cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	if _, err := c.AddFunc(fmt.Sprintf("%d %d * * *", b.minute, b.hour), pass); err != nil {
		return fmt.Errorf("jobs: backup cron: %w", err)
	}
	b.log.Info("backup: started", slog.String("dir", b.dir), slog.Int("keep", b.keep),
		slog.String("time", fmt.Sprintf("%02d:%02d", b.hour, b.minute)))
	now := b.Now().In(b.loc)
	if due := time.Date(now.Year(), now.Month(), now.Day(), b.hour, b.minute, 0, 0, b.loc); !now.Before(due) {
		pass() // skips by itself when today's file exists
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return nil
}
