package data

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DingTalkChat is one DingTalk conversation the bot was spoken to in. The
// conversation (like the sender) is named by a string; the rest of the store
// keys chats by number, so each conversation gets a chat id of its own here,
// below FirstDingTalkChatID, apart from Telegram's chat ids (whose magnitude
// stays under 2^52). The row also keeps the conversation's latest session
// webhook, where replies go until it expires.
type DingTalkChat struct {
	ChatID         int64  `gorm:"primaryKey;autoIncrement:false"`
	ConversationID string `gorm:"not null;uniqueIndex"`
	Group          bool   `gorm:"column:is_group;not null;default:false"`
	// StaffID is the other party of a private conversation: a reply after
	// the webhook expired goes to them through the robot API.
	StaffID        string
	Webhook        string
	WebhookExpires time.Time
	UpdatedAt      time.Time
}

// TableName keeps the table name in the channel's words.
func (DingTalkChat) TableName() string { return "dingtalk_chats" }

// FirstDingTalkChatID is the chat id of the first DingTalk conversation; the
// next ones go further down.
const FirstDingTalkChatID = -(int64(1) << 60)

// IsDingTalkChat reports whether a chat id is a DingTalk conversation's
// (else it is Telegram's): the two ranges never meet, so one reminder
// claimed per chat id is claimed once per channel.
func IsDingTalkChat(chatID int64) bool { return chatID <= FirstDingTalkChatID }

// SaveDingTalkChat records a conversation and its current webhook, and
// returns its chat id (allocated the first time).
func (s *Store) SaveDingTalkChat(ctx context.Context, c DingTalkChat) (int64, error) {
	c.UpdatedAt = s.Now().UTC()
	c.WebhookExpires = c.WebhookExpires.UTC()
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		var old DingTalkChat
		err := tx.Take(&old, "conversation_id = ?", c.ConversationID).Error
		switch {
		case err == nil:
			c.ChatID = old.ChatID
			if c.StaffID == "" {
				c.StaffID = old.StaffID
			}
		case errors.Is(err, gorm.ErrRecordNotFound):
			var low *int64
			if err := tx.Model(&DingTalkChat{}).Select("MIN(chat_id)").Scan(&low).Error; err != nil {
				return err
			}
			c.ChatID = FirstDingTalkChatID
			if low != nil {
				c.ChatID = *low - 1
			}
		default:
			return err
		}
		return tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "chat_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"is_group", "staff_id", "webhook", "webhook_expires", "updated_at"}),
		}).Create(&c).Error
	})
	if err != nil {
		return 0, fmt.Errorf("dingtalk: save conversation: %w", err)
	}
	return c.ChatID, nil
}

// DingTalkChatByID loads a conversation by its chat id.
func (s *Store) DingTalkChatByID(ctx context.Context, chatID int64) (DingTalkChat, error) {
	var c DingTalkChat
	err := s.db.WithContext(ctx).Take(&c, "chat_id = ?", chatID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return c, ErrNotFound
	}
	if err != nil {
		return c, fmt.Errorf("dingtalk: conversation %d: %w", chatID, err)
	}
	return c, nil
}

// DingTalkChatFor is the chat id of a conversation, allocating one for a
// conversation the bot has not been spoken to in yet (a county group named
// in the config, a person's private chat for a reminder).
func (s *Store) DingTalkChatFor(ctx context.Context, conversationID string, group bool, staffID string) (int64, error) {
	var c DingTalkChat
	err := s.db.WithContext(ctx).Take(&c, "conversation_id = ?", conversationID).Error
	if err == nil {
		return c.ChatID, nil
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return 0, fmt.Errorf("dingtalk: conversation: %w", err)
	}
	return s.SaveDingTalkChat(ctx, DingTalkChat{ConversationID: conversationID, Group: group, StaffID: staffID})
}
