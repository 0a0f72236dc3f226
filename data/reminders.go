package data

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Reminder statuses in sent_reminders.
const (
	// ReminderClaimed: a process has taken the reminder for this chat and is
	// sending it. A row left claimed means the process died between claim and
	// send: the message may or may not have gone out, and it is not sent again.
	ReminderClaimed = "claimed"
	ReminderSent    = "sent"
	// ReminderSkipped: deliberately not sent: missed (its day passed while the
	// bot was down), nothing to say (the county met every target), no
	// recipient, or the chat refuses the bot (403).
	ReminderSkipped = "skipped"
	// ReminderFailed: the send failed after the sender's retries.
	ReminderFailed = "failed"
)

// SentReminder records one reminder for one chat: at most one row per key
// and chat, so a reminder reaches a chat at most once, whatever number of
// processes or restarts.
//
// Exactly-once is impossible across a crash between claim and send; the row
// is claimed first, so such a crash loses the message for that chat rather
// than sending it twice. A reminder twice in a county's work group is worse
// than a missing one: the contact person sees a "claimed" row and can follow
// up by hand, while a duplicate cannot be taken back.
type SentReminder struct {
	ID     int64  `gorm:"primaryKey"`
	Key    string `gorm:"not null;uniqueIndex:idx_sent_reminders_key_chat,priority:1"`
	ChatID int64  `gorm:"not null;uniqueIndex:idx_sent_reminders_key_chat,priority:2"`
	Status string `gorm:"not null"`
	// At is when the row last changed: claimed, then sent or failed.
	At    time.Time `gorm:"not null"`
	Error string
}

// TableName keeps the table name in the domain's words.
func (SentReminder) TableName() string { return "sent_reminders" }

// ClaimReminder takes the reminder key for chatID before it is sent. It
// reports false when the pair is recorded already (sent, skipped, failed, or
// being sent by another process): then the caller must not send. The insert
// runs in its own write transaction (BEGIN IMMEDIATE on SQLite), and the
// unique index decides between two processes racing for the same row.
func (s *Store) ClaimReminder(ctx context.Context, key string, chatID int64, at time.Time) (bool, error) {
	return s.insertReminder(ctx, SentReminder{Key: key, ChatID: chatID, Status: ReminderClaimed, At: at.UTC()})
}

// SkipReminder records that key is not sent to chatID, and why. It reports
// false when the pair was recorded before, so the caller logs a skip once.
// chatID is 0 when the reminder has no recipient at all.
func (s *Store) SkipReminder(ctx context.Context, key string, chatID int64, reason string, at time.Time) (bool, error) {
	return s.insertReminder(ctx, SentReminder{Key: key, ChatID: chatID, Status: ReminderSkipped, At: at.UTC(), Error: reason})
}

func (s *Store) insertReminder(ctx context.Context, r SentReminder) (bool, error) {
	var inserted bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&r)
		if res.Error != nil {
			return res.Error
		}
		inserted = res.RowsAffected == 1
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("reminders: record %s for chat %d: %w", r.Key, r.ChatID, err)
	}
	return inserted, nil
}

// FinishReminder marks a claimed reminder sent (errText "") or ended in
// status (ReminderFailed, ReminderSkipped) with errText. Only a claimed row
// changes: a finished one is never rewritten.
func (s *Store) FinishReminder(ctx context.Context, key string, chatID int64, status, errText string, at time.Time) error {
	res := s.db.WithContext(ctx).Model(&SentReminder{}).
		Where("key = ? AND chat_id = ? AND status = ?", key, chatID, ReminderClaimed).
		Updates(map[string]any{"status": status, "error": errText, "at": at.UTC()})
	if res.Error != nil {
		return fmt.Errorf("reminders: mark %s for chat %d %s: %w", key, chatID, status, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("reminders: mark %s for chat %d %s: no claimed row: %w", key, chatID, status, ErrNotFound)
	}
	return nil
}

// SentReminders lists the records, oldest first; with keyPrefix only those
// whose key starts with it ("county_nag:").
func (s *Store) SentReminders(ctx context.Context, keyPrefix string) ([]SentReminder, error) {
	q := s.db.WithContext(ctx).Order("id")
	if keyPrefix != "" {
		q = q.Where("substr(key, 1, ?) = ?", len(keyPrefix), keyPrefix)
	}
	var out []SentReminder
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("reminders: list: %w", err)
	}
	return out, nil
}

// Progress is the net change of one county's indicator over a stretch of
// time: what a pace needs of the ledger, summed in the database.
type Progress struct {
	County    string
	Indicator Indicator
	Delta     int // the sum of the entries' deltas
	At        time.Time
}

// ProgressBetween sums the entries made in (from, to] per county and
// indicator: the pace window of the reminders. At is to. Only a county and
// indicator with entries in the window has a row, as GROUP BY gave them.
//
// One sum per row of totals (every county and indicator that has entries
// has one), each a range of idx_entries_pace read from the index alone: at
// a million entries, 90 counties, that is 10 ms where a GROUP BY over the
// window (an index on created_at, then sorting 155,000 rows into groups) took
// 70 ms, above the tick's 50.
func (s *Store) ProgressBetween(ctx context.Context, from, to time.Time) ([]Progress, error) {
	var rows []struct {
		County    string
		Indicator Indicator
		Delta     *int // NULL: no entry in the window
	}
	err := s.db.WithContext(ctx).Raw(`SELECT t.county, t.indicator,
		(SELECT SUM(e.delta) FROM entries e WHERE e.county = t.county AND e.indicator = t.indicator
			AND e.created_at > ? AND e.created_at <= ?) AS delta
		FROM totals t ORDER BY t.county, t.indicator`, from.UTC(), to.UTC()).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("ledger: progress %s–%s: %w", from.Format(time.RFC3339), to.Format(time.RFC3339), err)
	}
	out := make([]Progress, 0, len(rows))
	for _, r := range rows {
		if r.Indicator.Valid() && r.Delta != nil {
			out = append(out, Progress{At: to, County: r.County, Indicator: r.Indicator, Delta: *r.Delta})
		}
	}
	return out, nil
}
