// Package pgtest gives tests a fresh, empty PostgreSQL schema of their own
// in the database named by TSBOT_TEST_POSTGRES_DSN, or skips them, saying
// so, when the variable is not set. It is imported by tests only.
package pgtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// EnvDSN names the variable that holds the test database's DSN, e.g.
// "postgres://tsbot:tsbot@127.0.0.1:5432/tsbot_test?sslmode=disable".
const EnvDSN = "TSBOT_TEST_POSTGRES_DSN"

// SkipMessage is what a test skipped for want of PostgreSQL says.
const SkipMessage = "PostgreSQL half skipped: set " + EnvDSN

// DSN creates a schema of its own for tb (t_<time>_<random>), drops it with
// everything in it when tb ends, and returns a DSN whose search_path is that
// schema: every table the test creates lands there, so tests never see each
// other's rows and may run side by side. It skips tb when EnvDSN is empty.
func DSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvDSN)
	if base == "" {
		tb.Skip(SkipMessage)
	}
	schema := fmt.Sprintf("t_%d_%08x", time.Now().UnixNano(), rand.Uint32())
	db, err := gorm.Open(postgres.Open(base), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		tb.Fatalf("pgtest: connect to %s: %v", EnvDSN, err)
	}
	sqlDB, _ := db.DB()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := db.WithContext(ctx).Exec("CREATE SCHEMA " + schema).Error; err != nil {
		sqlDB.Close()
		tb.Fatalf("pgtest: create schema: %v", err)
	}
	tb.Cleanup(func() {
		defer sqlDB.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// A test may have cut this pool's connection too (a connection-loss
		// test terminates backends): the pool opens a new one on the retry.
		var err error
		for range 3 {
			if err = db.WithContext(ctx).Exec("DROP SCHEMA " + schema + " CASCADE").Error; err == nil {
				return
			}
		}
		tb.Errorf("pgtest: drop schema %s: %v", schema, err)
	})
	return WithSearchPath(base, schema)
}

// WithSearchPath returns dsn (URL or key=value form) with search_path set.
func WithSearchPath(dsn, schema string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		if u, err := url.Parse(dsn); err == nil {
			q := u.Query()
			q.Set("search_path", schema)
			u.RawQuery = q.Encode()
			return u.String()
		}
	}
	return strings.TrimSpace(dsn) + " search_path=" + schema
}
