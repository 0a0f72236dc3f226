package data

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("not found")

// Store is the durable ledger and roster behind gorm.
type Store struct {
	db    *gorm.DB
	sqlDB *sql.DB // the pool under db, for the few reads that bypass gorm
	// writeTx is db for the writer's transactions: its statements are in a
	// transaction already, and need no default one each (a Begin attempt
	// per statement).
	writeTx *gorm.DB
	log     *slog.Logger
	// Now is the clock; tests set it to a fixed instant.
	Now func() time.Time
	// ListsClose is when the lists are due (Campaign.ListsClose); zero:
	// never. After it, county staff can no longer change their county.
	ListsClose time.Time
	// dialect is gorm's name of the driver: "sqlite" or "postgres".
	dialect string

	w writer // who commits now, and the writes waiting for it (ledger.go)

	rosterCache atomic.Pointer[rosterSnapshot] // see caches.go
	confCache   atomic.Pointer[confSnapshot]
}

// Open connects to the database the config names and brings its schema up to
// date. SQLite runs in WAL mode with synchronous=FULL: a reply of "recorded"
// is only sent after the commit has reached the disk, so a power cut after
// the reply cannot lose it.
func Open(cfg DatabaseConfig, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var dialector gorm.Dialector
	switch cfg.Driver {
	case "", "sqlite":
		if cfg.Path == "" {
			return nil, fmt.Errorf("store: database.path: empty")
		}
		if err := privateFile(cfg.Path, log); err != nil {
			return nil, err
		}
		dialector = sqlite.Open(SQLiteDSN(cfg.Path))
	default:
		d, err := otherDialector(cfg)
		if err != nil {
			return nil, err
		}
		dialector = d
	}
	config := func() *gorm.Config {
		return &gorm.Config{
			Logger: logger.Discard,
			// gorm wraps every write made outside a transaction in one. Not
			// for its own sake: on SQLite an autocommit INSERT … RETURNING (any
			// Create) is reset by database/sql before SQLITE_DONE, the WAL hook
			// never fires, and the WAL is never checkpointed (wal_test.go).
			// Inside a transaction, as all of the ledger's writes are, it costs
			// one failed Begin per statement.
			SkipDefaultTransaction: false,
			TranslateError:         true,
			NowFunc:                func() time.Time { return time.Now().UTC() },
			DisableAutomaticPing:   true, // pinged below, with a time limit
		}
	}
	db, err := gorm.Open(dialector, config())
	// Two processes creating one SQLite file at once: the second's first
	// connection finds the first's migration holding the write lock while
	// it would turn the new file to WAL, and SQLite answers "database is
	// locked" at once rather than wait (a lock it cannot wait for without
	// a deadlock). Tried again, it finds the file in WAL mode.
	for until := time.Now().Add(startTimeout); err != nil && sqliteBusy(err) && time.Now().Before(until); {
		time.Sleep(20 * time.Millisecond)
		db, err = gorm.Open(dialector, config())
	}
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	if err := pingAtStart(db, cfg); err != nil {
		return nil, err
	}
	if db.Dialector.Name() == "postgres" {
		// database/sql keeps 2 idle connections by default: with twenty
		// people at once every other read would open a new PostgreSQL
		// connection (a new server process), ten times the cost of the
		// query. A bounded pool, kept open, leaves room for a second
		// instance under the server's max_connections (100 by default).
		sqlDB, _ := db.DB()
		sqlDB.SetMaxOpenConns(20)
		sqlDB.SetMaxIdleConns(20)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	} else {
		// The same on SQLite, where a new connection is a file opened,
		// four PRAGMAs, the schema parsed and an empty statement cache:
		// twenty staff in twenty chats opened one every six updates. An
		// idle one is closed after a minute, with the memory it holds.
		sqlDB, _ := db.DB()
		sqlDB.SetMaxIdleConns(sqliteIdleConns)
		sqlDB.SetConnMaxIdleTime(time.Minute)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	s := &Store{db: db, sqlDB: sqlDB, log: log, Now: time.Now, dialect: db.Dialector.Name(),
		writeTx: db.Session(&gorm.Session{SkipDefaultTransaction: true})}
	s.w.idle = sync.NewCond(&s.w.mu)
	if err := s.migrate(); err != nil {
		s.Close()
		return nil, err
	}
	if s.dialect == "sqlite" && cfg.Path != ":memory:" {
		// SQLite gives -wal and -shm the mode of the database; an older
		// -wal left by a looser version is tightened here.
		for _, f := range []string{cfg.Path + "-wal", cfg.Path + "-shm"} {
			tighten(f, log)
		}
	}
	return s, nil
}

// sqliteBusy is SQLite's SQLITE_BUSY, by its message: the driver's error
// type is only there with cgo.
func sqliteBusy(err error) bool {
	return strings.Contains(err.Error(), "database is locked")
}

// sqliteIdleConns is how many SQLite connections the pool keeps open between
// queries: the writer's, the outbox's, and the readers of the chats
// handled at once.
const sqliteIdleConns = 8

// privateFile makes the folder of a SQLite database (0700, when the bot
// creates it) and the database file itself (0600) before SQLite opens it,
// whatever the umask: the ledger names people and enterprises. An existing
// file that group or others may read is tightened, with a warning.
func privateFile(path string, log *slog.Logger) error {
	if path == ":memory:" {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("store: database.path: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	switch {
	case err == nil:
		f.Close()
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("store: database.path: %w", err)
		}
	case errors.Is(err, os.ErrExist):
		tighten(path, log)
	default:
		return fmt.Errorf("store: database.path: %w", err)
	}
	return nil
}

// tighten takes group and others' access off an existing file. A file that
// does not exist is left alone; one that cannot be changed (another owner)
// is only logged: the bot still runs.
func tighten(path string, log *slog.Logger) {
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm()&0o077 == 0 {
		return
	}
	if err := os.Chmod(path, fi.Mode().Perm()&0o700); err != nil {
		log.Warn("store: group or others may read the database file", slog.String("file", path), slog.Any("err", err))
		return
	}
	log.Warn("store: group or others could read the database file: now owner only", slog.String("file", path),
		slog.String("was", fmt.Sprintf("%04o", fi.Mode().Perm())))
}

// SQLiteDSN spells the settings that make SQLite durable and concurrent:
// WAL lets readers run beside the writer, synchronous=FULL syncs the WAL on
// every commit, BEGIN IMMEDIATE takes the write lock up front so two writers
// queue on busy_timeout instead of failing half-way.
func SQLiteDSN(path string) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_synchronous", "FULL")
	q.Set("_busy_timeout", "10000")
	q.Set("_txlock", "immediate")
	// Statements are prepared once per connection and reused: preparing
	// afresh was a tenth of the write path's CPU.
	q.Set("_stmt_cache_size", "128")
	q.Set("_foreign_keys", "on")
	return "file:" + path + "?" + q.Encode()
}

// otherDialector is where further drivers plug in.
func otherDialector(cfg DatabaseConfig) (gorm.Dialector, error) {
	switch cfg.Driver {
	case "postgres":
		if cfg.DSN == "" {
			return nil, fmt.Errorf("store: database.dsn: empty (driver \"postgres\" needs a connection string such as \"host=127.0.0.1 user=tsbot dbname=tsbot sslmode=disable\")")
		}
		return postgres.Open(cfg.DSN), nil
	}
	return nil, fmt.Errorf("store: database.driver: %q is not supported (use \"sqlite\" or \"postgres\")", cfg.Driver)
}

// startTimeout bounds the first contact with the database: a PostgreSQL
// server that is down or unreachable stops the start with an error instead
// of a hang.
const startTimeout = 15 * time.Second

// pingAtStart checks that the database answers, naming the config key to
// look at when it does not. The DSN itself is never quoted: it may hold a
// password.
func pingAtStart(db *gorm.DB, cfg DatabaseConfig) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := sqlDB.PingContext(ctx); err != nil {
		sqlDB.Close()
		if cfg.Driver == "postgres" {
			return fmt.Errorf("store: database.dsn: PostgreSQL does not answer: %w", err)
		}
		return fmt.Errorf("store: database.path: %w", err)
	}
	return nil
}

// ledgerLock is the PostgreSQL advisory lock that write transactions take.
// Any constant will do, as long as every process uses the same one.
const ledgerLock = 0x7473626f74 // "tsbot"

// serializeWrites makes the write transactions of every process on one
// database run one after another, as BEGIN IMMEDIATE does on SQLite. The
// ledger reads a total and writes the new one in the same transaction;
// under PostgreSQL's READ COMMITTED two processes would both read 5 and
// both write 6. The lock is released at commit or rollback. The writer
// takes it once per group of writes, so its cost is shared like the fsync.
func (s *Store) serializeWrites(tx *gorm.DB) error {
	if s.dialect != "postgres" {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", ledgerLock).Error; err != nil {
		return fmt.Errorf("ledger: lock: %w", err)
	}
	return nil
}

// Close refuses further writes, waits for the writes under way and those
// already waiting for them, then releases the database.
func (s *Store) Close() error {
	s.w.mu.Lock()
	s.w.closed = true
	for s.w.busy {
		s.w.idle.Wait()
	}
	s.w.mu.Unlock()
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return sqlDB.Close()
}

// migrateLock is the PostgreSQL advisory lock that schema migrations take.
const migrateLock = ledgerLock + 1

// migrate brings the schema up to date. Two instances may start at once
// (a standby, a rolling restart on PostgreSQL; two processes on one SQLite
// file): each would see a table or column missing and both would create it,
// and one would fail. So the migration runs in one transaction under a lock
// (an advisory lock on PostgreSQL, SQLite's write lock): the second waits,
// then finds the schema up to date.
func (s *Store) migrate() error {
	models := []any{&Batch{}, &Entry{}, &Total{}, &Person{}, &Choice{}, &SentReminder{}, &NameRecord{}, &Confirmation{}, &Receipt{}, &OutboxMessage{}, &IssuedButton{}, &DetailRecord{}, &DingTalkChat{}, &Reopening{}, &ReminderControl{}, &ChatBinding{}, &Invite{}, &InviteUse{}, &Generation{}, &PendingImport{}}
	up := func(tx *gorm.DB) error {
		buttonsBefore := tx.Migrator().HasTable(&IssuedButton{})
		if err := tx.AutoMigrate(models...); err != nil {
			return err
		}
		if !buttonsBefore {
			if err := issueOldButtons(tx); err != nil {
				return err
			}
		}
		return dropOldIndexes(tx)
	}
	hadNamed := s.db.Migrator().HasColumn(&Total{}, "named")
	var err error
	if s.dialect == "postgres" {
		err = s.db.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", migrateLock).Error; err != nil {
				return err
			}
			return up(tx)
		})
	} else {
		// BEGIN IMMEDIATE (SQLiteDSN): a second process starting on the
		// same file at once waits for the write lock, then finds the
		// schema up to date, instead of creating the same table again.
		err = s.db.Transaction(up)
	}
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return s.fillDerived(!hadNamed)
}

// fillDerived computes what the schema derives from older rows: the norm
// of names made by older rules, the firm key of names that have none, and,
// once, the length of every list. One
// write transaction: a backfill row by row in autocommit would sync each.
func (s *Store) fillDerived(lengths bool) error {
	err := s.db.Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		if err := fillNorms(tx); err != nil {
			return err
		}
		if err := fillFirmKeys(tx); err != nil {
			return err
		}
		if lengths {
			_, err := repairNamed(tx)
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	return nil
}

// issueOldButtons records, once, the buttons a release before the
// issued_buttons table had put under messages still in the chats: the undo
// of every update and edit, the readings of every open question. Without
// them every such button would answer "按钮已失效" after the upgrade.
func issueOldButtons(tx *gorm.DB) error {
	err := tx.Exec(`INSERT INTO issued_buttons (chat_id, data)
		SELECT chat_id, 'u:' || CAST(id AS TEXT) FROM batches WHERE kind IN (?, ?)
		ON CONFLICT DO NOTHING`, KindUpdate, KindEdit).Error
	if err != nil {
		return fmt.Errorf("issue old undo buttons: %w", err)
	}
	var open []Choice
	if err := tx.Where("closed_at IS NULL").Find(&open).Error; err != nil {
		return fmt.Errorf("issue old question buttons: %w", err)
	}
	var rows []IssuedButton
	for _, c := range open {
		for i := range c.Options {
			rows = append(rows, IssuedButton{ChatID: c.ChatID, Data: fmt.Sprintf("c:%d:%d", c.ID, i)})
		}
	}
	if len(rows) == 0 {
		return nil
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(rows, 500).Error; err != nil {
		return fmt.Errorf("issue old question buttons: %w", err)
	}
	return nil
}

// dropOldIndexes removes the indexes a later schema dropped: the unique
// one of one confirmation per county (now one per opening of its lists,
// /reopen), and the two on entries that idx_entries_pace replaced.
func dropOldIndexes(tx *gorm.DB) error {
	m := tx.Migrator()
	for _, name := range []string{"idx_entries_recent", "idx_entries_sums"} {
		if m.HasIndex(&Entry{}, name) {
			if err := m.DropIndex(&Entry{}, name); err != nil {
				return fmt.Errorf("drop %s: %w", name, err)
			}
		}
	}
	if m.HasIndex(&Confirmation{}, "idx_confirmations_county") {
		if err := m.DropIndex(&Confirmation{}, "idx_confirmations_county"); err != nil {
			return fmt.Errorf("drop idx_confirmations_county: %w", err)
		}
	}
	return nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}
