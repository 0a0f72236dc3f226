//go:build sqlite_trace

package telegram_test

import (
	"database/sql"
	"strings"
	"sync"

	"github.com/mattn/go-sqlite3"
)

// With -tags sqlite_trace (which builds SQLite's statement trace in),
// BenchmarkTelegramRoundTrip also counts the SQLite statements each update
// costs, BEGIN and COMMIT included, and lists them with -test.v: every
// connection the process opens reports each statement it starts.
func init() {
	db, err := sql.Open("sqlite3", ":memory:")
	if err != nil {
		panic(err)
	}
	// The driver registered as "sqlite3" is the one gorm opens too.
	drv := db.Driver().(*sqlite3.SQLiteDriver)
	db.Close()
	var mu sync.Mutex
	seen := map[string]int64{}
	drv.ConnectHook = func(c *sqlite3.SQLiteConn) error {
		return c.SetTrace(&sqlite3.TraceConfig{EventMask: sqlite3.TraceStmt, Callback: func(info sqlite3.TraceInfo) int {
			if strings.HasPrefix(info.StmtOrTrigger, "--") {
				return 0 // a trigger's body: part of its statement
			}
			mu.Lock()
			seen[info.StmtOrTrigger]++
			mu.Unlock()
			return 0
		}})
	}
	statements = func() map[string]int64 {
		mu.Lock()
		defer mu.Unlock()
		out := make(map[string]int64, len(seen))
		for k, v := range seen {
			out[k] = v
		}
		return out
	}
}
