//go:build !unix

package jobs

import "errors"

var errLocked = errors.New("jobs: locked by another process")

// lockDir is a no-op where flock is missing: one instance per SQLite file
// is assumed there, and the no-overwrite rule of Store.Backup still holds.
func lockDir(path string) (unlock func(), err error) { return func() {}, nil }
