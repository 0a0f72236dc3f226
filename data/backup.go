package data

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// ErrBackupUnsupported is returned by Backup on a store that is not a SQLite
// file: a PostgreSQL database is backed up with pg_dump.
var ErrBackupUnsupported = errors.New("store: backup: PostgreSQL is backed up with pg_dump, not by the bot")

// Backup writes a consistent copy of the SQLite database to path while the
// bot keeps serving: VACUUM INTO reads one snapshot (WAL lets the writer go
// on meanwhile) and writes a compact database with no -wal file of its own.
// It never overwrites: an existing path is refused with an error wrapping
// fs.ErrExist. The copy is written under a temporary name beside path,
// synced, then linked to path, so path either does not exist or is whole.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != "sqlite" {
		return ErrBackupUnsupported
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("store: backup: %s: %w", path, fs.ErrExist)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: backup: %w", err)
	}
	dir := filepath.Dir(path)
	// VACUUM INTO accepts an empty file: CreateTemp gives one with a name
	// no other process uses.
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".part-*")
	if err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	tmpPath := tmp.Name()
	tmp.Close()
	defer os.Remove(tmpPath) // after the link, only the temporary name goes
	if err := s.db.WithContext(ctx).Exec("VACUUM INTO ?", tmpPath).Error; err != nil {
		return fmt.Errorf("store: backup: vacuum into %s: %w", tmpPath, err)
	}
	// CreateTemp made it 0600, and VACUUM INTO keeps the mode; said again
	// because a backup holds everything the database does.
	if err := os.Chmod(tmpPath, 0o600); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := syncFile(tmpPath); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	// A hard link, unlike a rename, fails when path appeared meanwhile.
	if err := os.Link(tmpPath, path); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	if err := syncFile(dir); err != nil {
		return fmt.Errorf("store: backup: %w", err)
	}
	return nil
}

// syncFile flushes a file, or a directory's entries, to the disk.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// Driver says which database the store is on: "sqlite" or "postgres".
func (s *Store) Driver() string { return s.dialect }
