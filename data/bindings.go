package data

// The group chats bound to counties from chat (/bind 柯桥 in the group):
// a county's reminders go to its bound group, whatever the config's
// chat_id says. Rows are only ever inserted; a county's binding is its
// latest row.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Binding actions.
const (
	BindingBind    = "bind"
	BindingUnbind  = "unbind"
	BindingMigrate = "migrate" // the group became a supergroup: a new chat id
)

// ChatBinding is one change of a county's group.
type ChatBinding struct {
	ID        int64  `gorm:"primaryKey"`
	County    string `gorm:"index;not null"`
	Action    string `gorm:"not null"`
	ChatID    int64  `gorm:"not null"` // the group bound (0 for an unbind)
	FromChat  int64  // the chat it replaces (a migration, a rebind), or unbinds
	UserID    int64
	UserName  string
	CreatedAt time.Time `gorm:"not null"`
}

// ErrNotBound is returned when a chat is bound to no county.
var ErrNotBound = errors.New("bindings: chat not bound")

// Bindings are the groups bound now, by county.
func (s *Store) Bindings(ctx context.Context) (map[string]int64, error) {
	return bindings(s.db.WithContext(ctx))
}

func bindings(tx *gorm.DB) (map[string]int64, error) {
	var rows []ChatBinding
	if err := tx.Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("bindings: load: %w", err)
	}
	out := map[string]int64{}
	for _, r := range rows {
		if r.Action == BindingUnbind {
			delete(out, r.County)
			continue
		}
		out[r.County] = r.ChatID
	}
	return out, nil
}

// Bind binds chatID to county; a chat bound to another county leaves it
// (a group serves one county). It returns the county the chat served before ("" if none).
func (s *Store) Bind(ctx context.Context, county string, chatID int64, by Author) (string, error) {
	var before string
	err := s.bindingWrite(ctx, func(tx *gorm.DB, now time.Time) error {
		b, err := bindings(tx)
		if err != nil {
			return err
		}
		var rows []ChatBinding
		for c, id := range b {
			if id == chatID && c != county {
				before = c
				rows = append(rows, ChatBinding{County: c, Action: BindingUnbind, FromChat: chatID})
			}
		}
		rows = append(rows, ChatBinding{County: county, Action: BindingBind, ChatID: chatID, FromChat: b[county]})
		return insertBindings(tx, rows, by, now)
	})
	return before, err
}

// Unbind unbinds chatID from its county, which it returns (ErrNotBound).
func (s *Store) Unbind(ctx context.Context, chatID int64, by Author) (string, error) {
	var county string
	err := s.bindingWrite(ctx, func(tx *gorm.DB, now time.Time) error {
		b, err := bindings(tx)
		if err != nil {
			return err
		}
		for c, id := range b {
			if id == chatID {
				county = c
			}
		}
		if county == "" {
			return ErrNotBound
		}
		return insertBindings(tx, []ChatBinding{{County: county, Action: BindingUnbind, FromChat: chatID}}, by, now)
	})
	return county, err
}

// Migrate moves the bindings of chat from to chat to (a group that became
// a supergroup) and returns the counties moved.
func (s *Store) Migrate(ctx context.Context, from, to int64) ([]string, error) {
	var moved []string
	err := s.bindingWrite(ctx, func(tx *gorm.DB, now time.Time) error {
		b, err := bindings(tx)
		if err != nil {
			return err
		}
		var rows []ChatBinding
		for c, id := range b {
			if id == from {
				moved = append(moved, c)
				rows = append(rows, ChatBinding{County: c, Action: BindingMigrate, ChatID: to, FromChat: from})
			}
		}
		return insertBindings(tx, rows, Author{}, now)
	})
	return moved, err
}

func (s *Store) bindingWrite(ctx context.Context, fn func(tx *gorm.DB, now time.Time) error) error {
	now := s.Now().UTC()
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		return fn(tx, now)
	})
}

func insertBindings(tx *gorm.DB, rows []ChatBinding, by Author, now time.Time) error {
	if len(rows) == 0 {
		return nil
	}
	for i := range rows {
		rows[i].UserID, rows[i].UserName, rows[i].CreatedAt = by.UserID, by.Name, now
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("bindings: insert: %w", err)
	}
	return nil
}
