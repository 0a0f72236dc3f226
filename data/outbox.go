package data

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Exactly once, end to end.
//
// A message or a button press that a channel delivers twice (a replay after a
// crash, a webhook retry, two instances posting the same update) must have one
// effect and one answer. So every handled delivery leaves a Receipt, keyed by
// the channel's own id for it, and the answer goes into the outbox in the same
// transaction as whatever the delivery wrote: either both are on the disk or
// neither is. A redelivery finds its receipt and changes nothing; the answer
// is sent from the outbox, and sent again after a restart if it had not gone
// out, so nobody is left without the "recorded" that stops them sending again.

// Receipt outcomes: what a delivery did.
const (
	ReceiptWritten  = "written"  // it changed the ledger
	ReceiptRefused  = "refused"  // it asked for a change that was refused
	ReceiptAsked    = "asked"    // it raised a question (buttons)
	ReceiptAnswered = "answered" // a query, a command or help text
)

// Receipt records that one delivery (a message, an edit, a button press) was
// handled, and how. Key is the channel's id of the delivery ("telegram:123").
type Receipt struct {
	Key       string    `gorm:"primaryKey"`
	Outcome   string    `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

// Outbox states.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed" // given up: refused by the chat, or out of tries
)

// OutboxMessage is one message to send to one chat, kept until the channel
// has confirmed it. Body is the channel-free reply, encoded by the
// conversation (package bot); data never reads it.
type OutboxMessage struct {
	ID      int64  `gorm:"primaryKey"`
	Channel string `gorm:"not null;index:idx_outbox_due,priority:1"`
	State   string `gorm:"not null;index:idx_outbox_due,priority:2"`
	// Receipt is the delivery this answers; "" for a reminder.
	Receipt   string `gorm:"index"`
	ChatID    int64  `gorm:"not null"`
	Body      []byte `gorm:"not null"`
	CreatedAt time.Time
	// NextAt: not before; LeaseUntil: a process is sending it until then.
	NextAt     time.Time `gorm:"not null;index:idx_outbox_due,priority:3"`
	LeaseUntil *time.Time
	Attempts   int `gorm:"not null;default:0"`
	// PartsSent is how many of the message's parts (a document, then the
	// pieces of a long text) went out: a retry starts after them.
	PartsSent int `gorm:"not null;default:0"`
	SentAt    *time.Time
	Error     string
	// Reminder is the sent_reminders key this message carries, if any: its
	// row follows the message's fate (sent or failed).
	Reminder string
	// Expires, if set, is when trying stops: a reminder is worth sending
	// on its own day only.
	Expires *time.Time
}

// TableName keeps the table name short.
func (OutboxMessage) TableName() string { return "outbox" }

// IssuedButton is a button the bot put under a message in a chat. A press
// carries data its sender's client chose; only data the bot issued to that
// chat is acted on.
type IssuedButton struct {
	ChatID int64  `gorm:"primaryKey;autoIncrement:false"`
	Data   string `gorm:"primaryKey"`
}

// Answer is the reply a delivery gets, stored with its receipt. Draft is
// called inside the transaction of the write it answers, with the write's
// outcome (the zero Outcome for a delivery that wrote nothing).
type Answer struct {
	Key     string // the receipt key; "" stores nothing
	Outcome string
	Channel string
	ChatID  int64
	Draft   func(Outcome) Draft
	// Lease, if not 0, stores the reply leased to the writing process for
	// that long, its first attempt counted: the channel sends it from
	// memory as soon as the write returns, without a claim transaction, and
	// no claim loop takes it meanwhile. Should the process die first, the
	// lease runs out and a claim loop sends it (补发). A channel that does
	// not send its replies itself leaves it 0.
	Lease time.Duration
	// Queued, if set, receives the stored row (as a claim would return it).
	// It is filled inside the transaction: read it only once the write has
	// reported success.
	Queued *OutboxMessage
}

// Draft is an outgoing message: the encoded reply and the button data it
// carries.
type Draft struct {
	Body    []byte
	Buttons []string
}

// ErrHandled is returned when a delivery's receipt exists already: it was
// handled before, by this process or another, and nothing was done now.
var ErrHandled = errors.New("outbox: delivery handled before")

// ErrChoiceClosed is returned for an answer to a question that was answered,
// or replaced by a newer one, already.
var ErrChoiceClosed = errors.New("choice: closed")

// Handled reports whether the delivery key has a receipt.
func (s *Store) Handled(ctx context.Context, key string) (bool, error) {
	var n int64
	if err := s.db.WithContext(ctx).Model(&Receipt{}).Where("key = ?", key).Count(&n).Error; err != nil {
		return false, fmt.Errorf("outbox: receipt %s: %w", key, err)
	}
	return n > 0, nil
}

// Answer stores the receipt of a delivery that wrote nothing, with its reply.
// ErrHandled: the delivery had been handled before.
func (s *Store) Answer(ctx context.Context, a Answer) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		_, err := s.storeAnswer(tx, a, Outcome{})
		return err
	})
}

// storeAnswer writes the receipt and the reply of a delivery, inside tx. A
// reply that is empty stores nothing, receipt included: the caller answers
// the delivery another way (and stores that). ErrHandled: the receipt
// exists.
func (s *Store) storeAnswer(tx *gorm.DB, a Answer, out Outcome) (bool, error) {
	if a.Key == "" {
		return false, nil
	}
	d, err := draft(a, out)
	if err != nil {
		return false, err
	}
	if len(d.Body) == 0 {
		return false, nil
	}
	now := s.Now().UTC()
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&Receipt{Key: a.Key, Outcome: a.Outcome, CreatedAt: now})
	if res.Error != nil {
		return false, fmt.Errorf("outbox: receipt %s: %w", a.Key, res.Error)
	}
	if res.RowsAffected == 0 {
		return false, ErrHandled
	}
	m := &OutboxMessage{Channel: a.Channel, Receipt: a.Key, ChatID: a.ChatID, Body: d.Body}
	if a.Lease > 0 {
		until := now.Add(a.Lease)
		m.LeaseUntil, m.Attempts = &until, 1
	}
	if err := s.queue(tx, m, d.Buttons, now); err != nil {
		return false, err
	}
	if a.Queued != nil {
		*a.Queued = *m
		// A claim returns the row as it was before the attempt it counts.
		a.Queued.Attempts = 0
	}
	return true, nil
}

// draft renders an answer's reply. It runs on the writer goroutine, inside
// the write's transaction, where nothing else would catch a panic: one is
// turned into an error that rolls the write back.
func draft(a Answer, out Outcome) (d Draft, err error) {
	if a.Draft == nil {
		return Draft{}, nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("outbox: rendering the reply of %s: panic: %v", a.Key, p)
		}
	}()
	return a.Draft(out), nil
}

func (s *Store) queue(tx *gorm.DB, m *OutboxMessage, buttons []string, now time.Time) error {
	m.State, m.CreatedAt, m.NextAt = OutboxPending, now, now
	if err := tx.Create(m).Error; err != nil {
		return fmt.Errorf("outbox: queue for chat %d: %w", m.ChatID, err)
	}
	if len(buttons) == 0 {
		return nil
	}
	rows := make([]IssuedButton, 0, len(buttons))
	for _, b := range buttons {
		rows = append(rows, IssuedButton{ChatID: m.ChatID, Data: b})
	}
	if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error; err != nil {
		return fmt.Errorf("outbox: buttons for chat %d: %w", m.ChatID, err)
	}
	return nil
}

// QueueReminder claims reminder key for chatID and puts its message in the
// outbox, in one transaction: a crash leaves both or neither, so a claimed
// reminder is never lost before it is sent. It reports false when the pair
// was recorded before (sent, queued, skipped): then nothing is queued. The
// message is tried until expires; the sent_reminders row becomes sent or
// failed with it.
func (s *Store) QueueReminder(ctx context.Context, key string, chatID int64, channel string, body []byte, expires time.Time) (bool, error) {
	now := s.Now().UTC()
	var queued bool
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&SentReminder{Key: key, ChatID: chatID, Status: ReminderClaimed, At: now})
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error
		}
		queued = true
		until := expires.UTC()
		return s.queue(tx, &OutboxMessage{Channel: channel, ChatID: chatID, Body: body, Reminder: key, Expires: &until}, nil, now)
	})
	if err != nil {
		return false, fmt.Errorf("reminders: queue %s for chat %d: %w", key, chatID, err)
	}
	return queued, nil
}

// Issued reports whether the bot issued a button with data to chatID.
func (s *Store) Issued(ctx context.Context, chatID int64, data string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&IssuedButton{}).Where("chat_id = ? AND data = ?", chatID, data).Count(&n).Error
	if err != nil {
		return false, fmt.Errorf("outbox: button: %w", err)
	}
	return n > 0, nil
}

// ClaimOutbox takes up to n due messages of a channel for sending, oldest
// first, leasing them until now+lease: another process (or this one after a
// restart) takes a message again only once its lease ran out unconfirmed.
// Each claim counts as an attempt.
func (s *Store) ClaimOutbox(ctx context.Context, channel string, n int, lease time.Duration) ([]OutboxMessage, error) {
	now := s.Now().UTC()
	var out []OutboxMessage
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		if err := s.expireOutbox(tx, channel, now); err != nil {
			return err
		}
		err := tx.Where("channel = ? AND state = ? AND next_at <= ? AND (lease_until IS NULL OR lease_until < ?)",
			channel, OutboxPending, now, now).Order("id").Limit(n).Find(&out).Error
		if err != nil || len(out) == 0 {
			return err
		}
		ids := make([]int64, len(out))
		for i := range out {
			ids[i] = out[i].ID
		}
		until := now.Add(lease)
		return tx.Model(&OutboxMessage{}).Where("id IN ?", ids).
			Updates(map[string]any{"lease_until": until, "attempts": gorm.Expr("attempts + 1")}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: claim: %w", err)
	}
	return out, nil
}

// expireOutbox gives up the messages whose day has passed unsent (a
// reminder queued before a crash, the process down until the next day): a
// reminder is worth sending on its own day only. Their reminders are
// recorded as skipped, missed, as the runner records one it never sent.
func (s *Store) expireOutbox(tx *gorm.DB, channel string, now time.Time) error {
	var ids []int64
	err := tx.Model(&OutboxMessage{}).Where("channel = ? AND state = ? AND expires IS NOT NULL AND expires <= ? AND (lease_until IS NULL OR lease_until < ?)",
		channel, OutboxPending, now, now).Pluck("id", &ids).Error
	if err != nil || len(ids) == 0 {
		return err
	}
	const why = "missed: its day passed before it could be sent"
	if err := tx.Model(&OutboxMessage{}).Where("id IN ?", ids).
		Updates(map[string]any{"state": OutboxFailed, "lease_until": nil, "error": why}).Error; err != nil {
		return err
	}
	return s.finishReminders(tx, ids, ReminderSkipped, why, now)
}

// OutboxSent marks messages sent (one transaction for many: the sender
// confirms in groups, as the ledger commits).
func (s *Store) OutboxSent(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.Now().UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&OutboxMessage{}).Where("id IN ? AND state = ?", ids, OutboxPending).
			Updates(map[string]any{"state": OutboxSent, "sent_at": now, "lease_until": nil, "error": ""}).Error; err != nil {
			return err
		}
		return s.finishReminders(tx, ids, ReminderSent, "", now)
	})
	if err != nil {
		return fmt.Errorf("outbox: mark sent: %w", err)
	}
	return nil
}

// OutboxRetry puts a message back to be tried again at next, from its part
// partsSent on.
func (s *Store) OutboxRetry(ctx context.Context, id int64, next time.Time, errText string, partsSent int) error {
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ? AND state = ?", id, OutboxPending).
		Updates(map[string]any{"next_at": next.UTC(), "lease_until": nil, "error": errText, "parts_sent": partsSent}).Error
	if err != nil {
		return fmt.Errorf("outbox: retry %d: %w", id, err)
	}
	return nil
}

// OutboxWake makes every pending message of a channel due now, except those
// another process is sending: a process that starts tries at once what
// waited for a retry (the failure may have been the last process's).
func (s *Store) OutboxWake(ctx context.Context, channel string) error {
	now := s.Now().UTC()
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).
		Where("channel = ? AND state = ? AND next_at > ? AND (lease_until IS NULL OR lease_until < ?)", channel, OutboxPending, now, now).
		Update("next_at", now).Error
	if err != nil {
		return fmt.Errorf("outbox: wake: %w", err)
	}
	return nil
}

// OutboxRenew extends the lease of messages still being sent (waiting in
// a chat's queue behind Telegram's rate limits), so no other process takes
// them meanwhile.
func (s *Store) OutboxRenew(ctx context.Context, ids []int64, lease time.Duration) error {
	if len(ids) == 0 {
		return nil
	}
	until := s.Now().UTC().Add(lease)
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id IN ? AND state = ?", ids, OutboxPending).
		Update("lease_until", until).Error
	if err != nil {
		return fmt.Errorf("outbox: renew: %w", err)
	}
	return nil
}

// OutboxRelease hands a leased message back at shutdown, to be sent at once
// by whichever process runs next, from its part partsSent on.
func (s *Store) OutboxRelease(ctx context.Context, id int64, partsSent int) error {
	err := s.db.WithContext(ctx).Model(&OutboxMessage{}).Where("id = ? AND state = ?", id, OutboxPending).
		Updates(map[string]any{"lease_until": nil, "parts_sent": partsSent}).Error
	if err != nil {
		return fmt.Errorf("outbox: release: %w", err)
	}
	return nil
}

// OutboxFailed gives a message up; a reminder it carries is recorded with
// status (ReminderFailed, or ReminderSkipped for a chat that refuses the bot).
func (s *Store) OutboxFailed(ctx context.Context, id int64, errText, status string) error {
	now := s.Now().UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Model(&OutboxMessage{}).Where("id = ? AND state = ?", id, OutboxPending).
			Updates(map[string]any{"state": OutboxFailed, "lease_until": nil, "error": errText}).Error; err != nil {
			return err
		}
		return s.finishReminders(tx, []int64{id}, status, errText, now)
	})
	if err != nil {
		return fmt.Errorf("outbox: give up %d: %w", id, err)
	}
	return nil
}

// finishReminders moves the sent_reminders rows that outbox messages carry
// to their final status.
func (s *Store) finishReminders(tx *gorm.DB, ids []int64, status, errText string, now time.Time) error {
	var ms []OutboxMessage
	if err := tx.Select("id, chat_id, reminder").Where("id IN ? AND reminder <> ''", ids).Find(&ms).Error; err != nil {
		return err
	}
	for _, m := range ms {
		err := tx.Model(&SentReminder{}).Where("key = ? AND chat_id = ? AND status = ?", m.Reminder, m.ChatID, ReminderClaimed).
			Updates(map[string]any{"status": status, "error": errText, "at": now}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// Outbox lists a channel's messages in a state, oldest first (tests, check).
func (s *Store) Outbox(ctx context.Context, channel, state string) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := s.db.WithContext(ctx).Where("channel = ? AND state = ?", channel, state).Order("id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("outbox: list: %w", err)
	}
	return out, nil
}

// Receipts lists every receipt (tests).
func (s *Store) Receipts(ctx context.Context) ([]Receipt, error) {
	var out []Receipt
	if err := s.db.WithContext(ctx).Order("key").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("outbox: receipts: %w", err)
	}
	return out, nil
}
