package data

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Choice is a question the bot asked with buttons (a bare number, 示范站
// alone): the readings offered, kept until someone presses one. A message
// has at most one open question: asking again, editing the message or
// answering closes the one before, and a press on a closed question changes
// nothing.
type Choice struct {
	ID        int64    `gorm:"primaryKey"`
	UserID    int64    `gorm:"not null"` // only the asker may answer
	ChatID    int64    `gorm:"not null;index:idx_choices_message"`
	MessageID int64    `gorm:"index:idx_choices_message"` // the message that was ambiguous
	Options   []string `gorm:"serializer:json"`
	CreatedAt time.Time
	ClosedAt  *time.Time
}

// SaveChoice stores a question and returns its id; an open question of the
// same message is closed.
func (s *Store) SaveChoice(ctx context.Context, c Choice) (int64, error) {
	return s.Ask(ctx, c, 0, Answer{}, nil)
}

// Ask stores a question with the receipt and reply of the delivery that
// raised it, in one transaction. closes, if not 0, is the question this one
// follows from (a message with two ambiguous parts): it must still be open.
// draft renders the reply once the question has its id (its buttons name it).
func (s *Store) Ask(ctx context.Context, c Choice, closes int64, a Answer, draft func(choiceID int64) Draft) (int64, error) {
	now := s.Now().UTC()
	c.CreatedAt = now
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		if closes != 0 {
			if err := closeChoice(tx, closes, now); err != nil {
				return err
			}
		}
		if err := closeChoices(tx, c.ChatID, c.MessageID, now); err != nil {
			return err
		}
		return s.saveQuestion(tx, &c, a, draft)
	})
	if err != nil {
		return 0, err
	}
	return c.ID, nil
}

// saveQuestion stores an open question with the receipt and reply of the
// delivery that raised it; draft renders the reply once c has its id.
func (s *Store) saveQuestion(tx *gorm.DB, c *Choice, a Answer, draft func(choiceID int64) Draft) error {
	if err := tx.Create(c).Error; err != nil {
		return fmt.Errorf("choice: save: %w", err)
	}
	if draft != nil {
		a.Draft = func(Outcome) Draft { return draft(c.ID) }
	}
	_, err := s.storeAnswer(tx, a, Outcome{})
	return err
}

// closeChoice closes question id, which must be open.
func closeChoice(tx *gorm.DB, id int64, now time.Time) error {
	res := tx.Model(&Choice{}).Where("id = ? AND closed_at IS NULL", id).Update("closed_at", now)
	if res.Error != nil {
		return fmt.Errorf("choice: close %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrChoiceClosed
	}
	return nil
}

// closeChoices closes every open question of one message.
func closeChoices(tx *gorm.DB, chatID, messageID int64, now time.Time) error {
	err := tx.Model(&Choice{}).Where("chat_id = ? AND message_id = ? AND closed_at IS NULL", chatID, messageID).
		Update("closed_at", now).Error
	if err != nil {
		return fmt.Errorf("choice: close questions of message %d: %w", messageID, err)
	}
	return nil
}

// Choice loads a question.
func (s *Store) Choice(ctx context.Context, id int64) (Choice, error) {
	var c Choice
	err := s.db.WithContext(ctx).Take(&c, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("choice: load %d: %w", id, err)
	}
	return c, nil
}

// LatestChoice is the newest question asked in chatID since the given time,
// open or closed: userID's own, or anyone's when userID is 0. A typed answer
// ("1") on a channel without buttons goes to it.
func (s *Store) LatestChoice(ctx context.Context, chatID, userID int64, since time.Time) (Choice, error) {
	var c Choice
	q := s.db.WithContext(ctx).Where("chat_id = ? AND created_at >= ?", chatID, since.UTC())
	if userID != 0 {
		q = q.Where("user_id = ?", userID)
	} else {
		q = q.Where("closed_at IS NULL")
	}
	err := q.Order("id DESC").Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("choice: latest in chat %d: %w", chatID, err)
	}
	return c, nil
}

// OpenChoices are the open questions the bot asked userID in chatID,
// newest first.
func (s *Store) OpenChoices(ctx context.Context, userID, chatID int64) ([]Choice, error) {
	var cs []Choice
	err := s.db.WithContext(ctx).Where("user_id = ? AND chat_id = ? AND closed_at IS NULL", userID, chatID).
		Order("id DESC").Limit(20).Find(&cs).Error
	if err != nil {
		return nil, fmt.Errorf("choice: open questions: %w", err)
	}
	return cs, nil
}

// Decline closes question id with an answer that writes nothing (the name
// asked about is the firm already listed), storing the delivery's receipt
// and reply with it. A question already closed is ErrChoiceClosed.
func (s *Store) Decline(ctx context.Context, id int64, a *Answer) (Outcome, error) {
	var out Outcome
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		if err := closeChoice(tx, id, s.Now().UTC()); err != nil {
			return err
		}
		if a == nil {
			return nil
		}
		stored, err := s.storeAnswer(tx, *a, out)
		out.Answered = stored
		return err
	})
	if err != nil {
		return Outcome{}, err
	}
	return out, nil
}
