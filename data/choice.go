package data

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Choice is a question the bot asked with buttons (a bare number, 示范站
// alone): the readings offered, kept until someone presses one.
type Choice struct {
	ID        int64    `gorm:"primaryKey"`
	UserID    int64    `gorm:"not null"` // only the asker may answer
	ChatID    int64    `gorm:"not null"`
	MessageID int64    // the message that was ambiguous
	Options   []string `gorm:"serializer:json"`
	CreatedAt time.Time
}

// SaveChoice stores a question and returns its id.
func (s *Store) SaveChoice(ctx context.Context, c Choice) (int64, error) {
	c.CreatedAt = s.Now().UTC()
	if err := s.db.WithContext(ctx).Create(&c).Error; err != nil {
		return 0, fmt.Errorf("choice: save: %w", err)
	}
	return c.ID, nil
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
