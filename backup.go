package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"tsbot/jobs"
)

// backup writes a consistent copy of the SQLite database to out while the
// bot may be running (VACUUM INTO); it never overwrites a file.
func (a *app) backup(ctx context.Context, out string, stdout io.Writer) error {
	if out == "" {
		return errors.New("backup: -out FILE is required")
	}
	if err := a.store.Backup(ctx, out); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "备份完成：%s\n", out)
	return err
}

// startBackups runs the daily backup beside the bot and returns a function
// that stops it. Nothing runs when backup.dir is empty, nor on PostgreSQL,
// whose backups are pg_dump's business (see the README). A malformed
// backup section stops the start with an error naming the key; a folder
// that cannot be written is only logged, at each pass.
func startBackups(ctx context.Context, a *app) (stop func(), err error) {
	b, err := newBackups(a)
	if err != nil || b == nil {
		return func() {}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.Run(ctx); err != nil {
			a.log.Error("backup: stopped", slog.Any("err", err))
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}

// newBackups builds the daily backup job; nil when there is none to run.
func newBackups(a *app) (*jobs.Backups, error) {
	if a.cfg.Backup.Dir == "" {
		a.log.Info("backup: off (backup.dir is empty)")
		return nil, nil
	}
	if a.store.Driver() != "sqlite" {
		a.log.Info("backup: off on PostgreSQL: back it up with pg_dump (see the README)")
		return nil, nil
	}
	b, err := jobs.NewBackups(a.store, a.cfg.Backup, a.campaign.Location, a.log)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return b, nil
}
