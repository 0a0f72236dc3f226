package data

import "context"

// ReleaseMemory closes the SQLite connections the pool holds idle, and
// trims the C heap they allocated from. Each keeps its prepared statements
// (the statement cache of SQLiteDSN), and a statement keeps the buffers of
// the largest row it ever bound or read: an /export's spreadsheet, stored
// in the outbox and read back to send, left some 40 MB of SQLite's memory
// behind that way until the bot restarted; freed, it stayed in malloc's
// arenas. The next query opens a fresh connection (about a millisecond). A
// connection in use, such as the writer's in a transaction, is left
// alone, as is PostgreSQL, whose connections hold no such buffers here,
// and a ":memory:" database, which would be lost with its connection.
func (s *Store) ReleaseMemory(ctx context.Context) {
	if s.dialect != "sqlite" {
		return
	}
	var file string
	row := s.db.WithContext(ctx).Raw("SELECT file FROM pragma_database_list WHERE name = 'main'").Row()
	if err := row.Scan(&file); err != nil || file == "" {
		return
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return
	}
	sqlDB.SetMaxIdleConns(0)
	sqlDB.SetMaxIdleConns(sqliteIdleConns) // as Open set it
	trimCHeap()
}
