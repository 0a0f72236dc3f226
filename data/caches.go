package data

// What every update reads and almost never changes, kept in memory: the
// roster (who may write which county) and the standing confirmations (is a
// county's list closed). Each is tagged with a generation token, a row that
// every change of the table rewrites in the change's own transaction. A
// reader checks the token (one primary-key read) and reloads only when it
// moved. The token lives in the database, not in the process: another
// instance on the same PostgreSQL database, or a second process on the same
// SQLite file, changes it too, so no process serves a stale roster.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"

	"gorm.io/gorm"
)

// Generation is the token of one cached table.
type Generation struct {
	Name string `gorm:"primaryKey"`
	// Token is random, not a counter: a database restored from a backup
	// cannot bring back a token a process has cached with other contents.
	Token int64 `gorm:"not null"`
}

// The cached tables.
const (
	genRoster        = "roster"
	genConfirmations = "confirmations"
)

// bumpGeneration marks a change of table name, inside the change's
// transaction: readers see the new token exactly when they see the change.
func bumpGeneration(tx *gorm.DB, name string) error {
	err := tx.Exec(`INSERT INTO generations (name, token) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET token = excluded.token`, name, rand.Int64()).Error
	if err != nil {
		return fmt.Errorf("store: mark %s changed: %w", name, err)
	}
	return nil
}

// generation is readGeneration outside a transaction, before every update.
// Straight on database/sql: gorm's builder and reflection cost more than
// this one-row read itself.
func (s *Store) generation(ctx context.Context, name string) (int64, error) {
	q := hotSQLite.readGen
	if s.dialect == "postgres" {
		q = hotPostgres.readGen
	}
	var tok int64
	err := s.sqlDB.QueryRowContext(ctx, q, name).Scan(&tok)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: generation of %s: %w", name, err)
	}
	return tok, nil
}

// rosterSnapshot is the whole roster at one token; never changed once built.
type rosterSnapshot struct {
	token  int64
	byID   map[int64]Person
	byDing map[string]Person
}

// rosterNow is the roster as it stands: the cached one if its token is
// current, else read anew. The token is read before the roster, so a change
// landing between the two only costs a reload at the next call; the other
// order could tag an old roster with a new token for good.
func (s *Store) rosterNow(ctx context.Context) (*rosterSnapshot, error) {
	tok, err := s.generation(ctx, genRoster)
	if err != nil {
		return nil, err
	}
	if snap := s.rosterCache.Load(); snap != nil && snap.token == tok {
		return snap, nil
	}
	var people []Person
	if err := s.db.WithContext(ctx).Find(&people).Error; err != nil {
		return nil, fmt.Errorf("roster: load: %w", err)
	}
	snap := &rosterSnapshot{token: tok, byID: make(map[int64]Person, len(people)), byDing: map[string]Person{}}
	for _, p := range people {
		snap.byID[p.UserID] = p
		if p.DingTalkID != nil {
			snap.byDing[*p.DingTalkID] = p
		}
	}
	s.rosterCache.Store(snap)
	return snap, nil
}

// confSnapshot is the standing confirmation of each county at one token.
type confSnapshot struct {
	token    int64
	byCounty map[string]Confirmation
}

// standingConfirmations are the counties' standing sign-offs, inside the
// write transaction: the token is read under the write lock, so it is
// exact, and the confirmations are loaded only when it moved.
func (s *Store) standingConfirmations(tx *gorm.DB) (map[string]Confirmation, error) {
	tok, err := readGeneration(tx, genConfirmations)
	if err != nil {
		return nil, err
	}
	if snap := s.confCache.Load(); snap != nil && snap.token == tok {
		return snap.byCounty, nil
	}
	confs, err := openConfirmations(tx, nil)
	if err != nil {
		return nil, err
	}
	snap := &confSnapshot{token: tok, byCounty: make(map[string]Confirmation, len(confs))}
	for _, c := range confs {
		snap.byCounty[c.County] = c // in id order: the latest stands
	}
	s.confCache.Store(snap)
	return snap.byCounty, nil
}

// forgetUncommitted drops what a write transaction that did not commit may
// have cached: in a group, the confirmations were read with the earlier
// writes of the group in view.
func (s *Store) forgetUncommitted() {
	s.confCache.Store(nil)
}
