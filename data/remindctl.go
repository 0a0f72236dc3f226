package data

// The contact person's hold on the reminders: pause (until a date),
// resume, skip one, nudge a county now. Every action is a row, only ever
// inserted, so a restart and a second instance see the same state.

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Reminder control actions.
const (
	ControlPause  = "pause"
	ControlResume = "resume"
	ControlSkip   = "skip"
	ControlNudge  = "nudge"
)

// ReminderControl is one action of the contact person on the reminders.
type ReminderControl struct {
	ID     int64  `gorm:"primaryKey"`
	Action string `gorm:"not null;index:idx_reminder_controls_action"`
	// Key is the reminder key a skip names, or the county a nudge went to.
	Key string `gorm:"index:idx_reminder_controls_action"`
	// Until ends a pause (nil: until /resume).
	Until     *time.Time
	Text      string // a nudge's text
	UserID    int64  `gorm:"not null"`
	UserName  string
	CreatedAt time.Time `gorm:"not null"`
}

// ReminderState is what the controls say at one instant.
type ReminderState struct {
	Paused bool
	// PausedUntil ends the pause under way; zero: until /resume.
	PausedUntil time.Time
	Skipped     map[string]bool // reminder keys the contact person skipped
}

// TooSoonError refuses a nudge of a county nudged less than the limit ago.
type TooSoonError struct {
	County string
	Last   time.Time
}

func (e *TooSoonError) Error() string {
	return fmt.Sprintf("reminders: %s was nudged at %s", e.County, e.Last.Format(time.RFC3339))
}

// ControlReminders records an action (pause, resume, skip).
func (s *Store) ControlReminders(ctx context.Context, c ReminderControl) error {
	c.CreatedAt = s.Now().UTC()
	if c.Until != nil {
		u := c.Until.UTC()
		c.Until = &u
	}
	if err := s.db.WithContext(ctx).Create(&c).Error; err != nil {
		return fmt.Errorf("reminders: record %s: %w", c.Action, err)
	}
	return nil
}

// Nudge records a nudge of county, unless the last one was less than
// every ago (TooSoonError). The check and the insert are one transaction,
// serialized like the ledger's writes, so two admins at once nudge once.
func (s *Store) Nudge(ctx context.Context, c ReminderControl, every time.Duration) error {
	now := s.Now().UTC()
	c.Action, c.CreatedAt = ControlNudge, now
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		var last ReminderControl
		err := tx.Where("action = ? AND key = ? AND created_at > ?", ControlNudge, c.Key, now.Add(-every)).
			Order("id DESC").Limit(1).Find(&last).Error
		if err != nil {
			return fmt.Errorf("reminders: last nudge: %w", err)
		}
		if last.ID != 0 {
			return &TooSoonError{County: c.Key, Last: last.CreatedAt}
		}
		if err := tx.Create(&c).Error; err != nil {
			return fmt.Errorf("reminders: record nudge: %w", err)
		}
		return nil
	})
	return err
}

// ReminderState reads what the controls say at now.
func (s *Store) ReminderState(ctx context.Context, now time.Time) (ReminderState, error) {
	st := ReminderState{Skipped: map[string]bool{}}
	var skips []ReminderControl
	if err := s.db.WithContext(ctx).Where("action = ?", ControlSkip).Find(&skips).Error; err != nil {
		return st, fmt.Errorf("reminders: skips: %w", err)
	}
	for _, c := range skips {
		st.Skipped[c.Key] = true
	}
	var last ReminderControl
	err := s.db.WithContext(ctx).Where("action IN ?", []string{ControlPause, ControlResume}).
		Order("id DESC").Limit(1).Find(&last).Error
	if err != nil {
		return st, fmt.Errorf("reminders: pause: %w", err)
	}
	if last.Action == ControlPause && (last.Until == nil || now.Before(*last.Until)) {
		st.Paused = true
		if last.Until != nil {
			st.PausedUntil = *last.Until
		}
	}
	return st, nil
}
