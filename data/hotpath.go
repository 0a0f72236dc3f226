package data

// The statements every update runs, issued straight on the transaction's
// connection instead of through gorm's query builder. Measured (issue 14),
// gorm's statement building, callbacks and reflection cost as much CPU per
// update as SQLite's own work for these few rows; the durable update is
// meant to run at the disk's speed. The SQL is written once with ? and
// rebound for PostgreSQL; the drivers keep it prepared per connection
// (mattn's _stmt_cache_size, pgx's statement cache). gorm keeps the schema,
// the migrations, the reads and every other write.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

type hotSQL struct {
	insertBatch, insertEntry, addTotal, readGen string
}

var hotSQLite = hotSQL{
	insertBatch: `INSERT INTO batches (update_id, kind, channel, msg_id, reverts, user_id, user_name, chat_id, message_id, text, late, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
	insertEntry: `INSERT INTO entries (batch_id, county, indicator, op, amount, delta, line, user_id, user_name, chat_id, message_id, late, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
	// RETURNING an expression of the conflict: beyond gorm's builder.
	addTotal: `INSERT INTO totals (county, indicator, done, named) VALUES (?, ?, ?, 0)
		ON CONFLICT (county, indicator) DO UPDATE SET done = totals.done + excluded.done
		RETURNING done, named`,
	readGen: `SELECT token FROM generations WHERE name = ?`,
}

var hotPostgres = hotSQL{
	insertBatch: rebind(hotSQLite.insertBatch),
	insertEntry: rebind(hotSQLite.insertEntry),
	addTotal:    rebind(hotSQLite.addTotal),
	readGen:     rebind(hotSQLite.readGen),
}

// rebind numbers the placeholders the PostgreSQL way ($1, $2, …). The hot
// statements hold no ? inside a literal.
func rebind(q string) string {
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hot returns the statements of tx's database and the connection (the
// transaction) to run them on.
func hot(tx *gorm.DB) (hotSQL, gorm.ConnPool, context.Context) {
	q := hotSQLite
	if tx.Dialector.Name() == "postgres" {
		q = hotPostgres
	}
	ctx := tx.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return q, tx.Statement.ConnPool, ctx
}

// translate maps a driver's error to gorm's (ErrDuplicatedKey above all:
// a redelivered update is told apart by it), as gorm's own calls do.
func translate(tx *gorm.DB, err error) error {
	if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok {
		return t.Translate(err)
	}
	return err
}

// insertBatch inserts b and sets its id.
func insertBatch(tx *gorm.DB, b *Batch) error {
	q, conn, ctx := hot(tx)
	err := conn.QueryRowContext(ctx, q.insertBatch, b.UpdateID, b.Kind, b.Channel, b.MsgID, b.Reverts, b.UserID, b.UserName,
		b.ChatID, b.MessageID, b.Text, b.Late, b.CreatedAt).Scan(&b.ID)
	if err != nil {
		return fmt.Errorf("ledger: insert batch: %w", translate(tx, err))
	}
	return nil
}

// insertEntries inserts the entries of a batch, in order, and sets their ids.
func insertEntries(tx *gorm.DB, entries []Entry) error {
	q, conn, ctx := hot(tx)
	for i := range entries {
		e := &entries[i]
		err := conn.QueryRowContext(ctx, q.insertEntry, e.BatchID, e.County, e.Indicator, e.Op, e.Amount, e.Delta, e.Line,
			e.UserID, e.UserName, e.ChatID, e.MessageID, e.Late, e.CreatedAt).Scan(&e.ID)
		if err != nil {
			return fmt.Errorf("ledger: insert entries: %w", translate(tx, err))
		}
	}
	return nil
}

// addTotal adds delta to one total and returns the total after it. One
// upsert with RETURNING (SQLite 3.35+, PostgreSQL) instead of a read and a
// write: the write lock the transaction holds makes it exact, and a total
// below zero is refused by the caller after the fact, rolling it back.
func addTotal(tx *gorm.DB, k key, delta int) (Total, error) {
	q, conn, ctx := hot(tx)
	t := Total{County: k.county, Indicator: k.ind}
	if err := conn.QueryRowContext(ctx, q.addTotal, k.county, k.ind, delta).Scan(&t.Done, &t.Named); err != nil {
		return t, fmt.Errorf("ledger: update total %s %s: %w", k.county, k.ind.Key(), translate(tx, err))
	}
	return t, nil
}

// readGeneration is the token of name inside tx (0 before any change).
func readGeneration(tx *gorm.DB, name string) (int64, error) {
	q, conn, ctx := hot(tx)
	var tok int64
	err := conn.QueryRowContext(ctx, q.readGen, name).Scan(&tok)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("store: generation of %s: %w", name, err)
	}
	return tok, nil
}
