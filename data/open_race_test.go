package data

import (
	"path/filepath"
	"sync"
	"testing"
)

// Two processes on one SQLite file (the bot and a second instance, or a
// command run beside it) may start at once, on a new file or right after an
// upgrade: each would see a table or an index missing and create it, and
// the second would fail to start ("table `batches` already exists"). The
// migration runs under SQLite's write lock, as it runs under an advisory
// lock on PostgreSQL: the second waits, then finds the schema up to date.
func TestStoresOpenAtOnceOnOneSQLiteFile(t *testing.T) {
	for i := range 10 {
		path := filepath.Join(t.TempDir(), "ledger.db")
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for j := range errs {
			wg.Go(func() {
				s, err := Open(DatabaseConfig{Driver: "sqlite", Path: path}, nil)
				errs[j] = err
				if err == nil {
					s.Close()
				}
			})
		}
		wg.Wait()
		for j, err := range errs {
			if err != nil {
				t.Errorf("round %d, store %d: %v", i, j, err)
			}
		}
	}
}
