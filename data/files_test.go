//go:build unix

package data

import (
	"context"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// The database, its -wal and -shm, its folder and its backups are the
// owner's only, whatever the umask (here none at all): they name people and
// enterprises.
func TestSQLiteFilesArePrivate(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "var", "lib", "tsbot.db")
	s := openConfig(t, DatabaseConfig{Driver: "sqlite", Path: path})
	ctx := context.Background()
	if _, err := s.Record(ctx, Author{UserID: 1, UpdateID: 1}, []Change{add("柯桥", Tutoring, 1)}); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, "backup.db")
	if err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		mode os.FileMode
	}{
		{filepath.Join(dir, "var"), 0o700},
		{filepath.Join(dir, "var", "lib"), 0o700},
		{path, 0o600},
		{path + "-wal", 0o600},
		{path + "-shm", 0o600},
		{backup, 0o600},
	} {
		fi, err := os.Stat(tc.path)
		if err != nil {
			t.Error(err)
			continue
		}
		if got := fi.Mode().Perm(); got != tc.mode {
			t.Errorf("%s: mode %04o, want %04o", tc.path, got, tc.mode)
		}
	}
}

// A database file left readable by others (an older version, a copy) is
// tightened when the store opens it.
func TestSQLiteFileTightenedAtOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tsbot.db")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	openConfig(t, DatabaseConfig{Driver: "sqlite", Path: path})
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database after open: %v, %v; want 0600", fi.Mode(), err)
	}
}
