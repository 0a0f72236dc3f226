package data

import (
	"path/filepath"
	"testing"
	"time"

	"tsbot/data/pgtest"
)

// testStore is one kind of database the store runs on.
type testStore struct {
	name string
	// config returns the settings of a fresh, empty database of this kind,
	// for a test that opens it more than once (two processes, a restart).
	// The PostgreSQL one skips the test when TSBOT_TEST_POSTGRES_DSN is not
	// set, so the missing half shows as a skipped subtest, never a pass.
	config func(t testing.TB) DatabaseConfig
}

// testStores lists the databases every store test runs against: SQLite
// always, PostgreSQL when TSBOT_TEST_POSTGRES_DSN is set (each test in a
// schema of its own, dropped when it ends).
func testStores() []testStore {
	return []testStore{
		{name: "sqlite", config: func(t testing.TB) DatabaseConfig {
			return DatabaseConfig{Driver: "sqlite", Path: filepath.Join(t.TempDir(), "ledger.db")}
		}},
		{name: "postgres", config: func(t testing.TB) DatabaseConfig {
			return DatabaseConfig{Driver: "postgres", DSN: pgtest.DSN(t)}
		}},
	}
}

// open opens a fresh store of this kind with the clock at testNow, closed
// when the test ends.
func (ts testStore) open(t testing.TB) *Store {
	t.Helper()
	return openConfig(t, ts.config(t))
}

// openConfig opens cfg with the clock at testNow, closed when t ends.
func openConfig(t testing.TB, cfg DatabaseConfig) *Store {
	t.Helper()
	s, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Now = func() time.Time { return testNow }
	t.Cleanup(func() { s.Close() })
	return s
}

// forEachStore runs fn as one subtest per kind of database ("sqlite",
// "postgres"), each with a fresh store:
//
//	func TestSomething(t *testing.T) {
//		forEachStore(t, func(t *testing.T, s *Store) { ... })
//	}
func forEachStore(t *testing.T, fn func(t *testing.T, s *Store)) {
	for _, ts := range testStores() {
		t.Run(ts.name, func(t *testing.T) { fn(t, ts.open(t)) })
	}
}
