// Package channels is what the channels share beyond the conversation:
// where a reminder reaches a person or a county on each channel that is
// on. It speaks in data's types only; jobs declares the interface
// (jobs.Directory) and main hands it this one.
package channels

import (
	"context"

	"tsbot/bot/dingtalk"
	"tsbot/data"
)

// Directory is jobs.Directory over both channels: a person gets reminders
// privately on each channel they are on (their Telegram user id; the chat
// of their DingTalk staff id), a county in its Telegram group (chat_id),
// its DingTalk group (open_conversation_id) and its custom robot
// (robot_webhook), whichever are configured. A DingTalk chat id is below
// data.FirstDingTalkChatID, so the same reminder is claimed once per
// channel and never twice on one.
type Directory struct {
	store              *data.Store
	telegram, dingtalk bool // the channels that are on
	counties           map[string]data.CountyConfig
	// Count: check's, which only counts the chats and writes nothing (a
	// DingTalk chat gets its id, a row, the first time it is named).
	Count bool
}

// NewDirectory is where reminders reach people and county groups with the
// channels the config turns on (those run starts): see jobs.Directory.
func NewDirectory(cfg data.Config, store *data.Store) Directory {
	d := Directory{store: store, telegram: cfg.Telegram.Token != "" || !cfg.DingTalk.Enabled,
		dingtalk: cfg.DingTalk.Enabled, counties: map[string]data.CountyConfig{}}
	for _, co := range cfg.Campaign.Counties {
		d.counties[co.Name] = co
	}
	return d
}

// dingtalkChat is the chat id of a DingTalk conversation, allocated the
// first time (or a stand-in when only counting).
func (d Directory) dingtalkChat(ctx context.Context, alloc func(context.Context, *data.Store, string) (int64, error), name string) (int64, error) {
	if d.Count {
		return data.FirstDingTalkChatID, nil
	}
	return alloc(ctx, d.store, name)
}

// PersonChats are the private chats a person gets reminders in.
func (d Directory) PersonChats(ctx context.Context, p data.Person) ([]int64, error) {
	var chats []int64
	if d.telegram && p.UserID > 0 { // a Telegram user id; ids below 1 are the console's and DingTalk-only people's
		chats = append(chats, p.UserID)
	}
	if d.dingtalk && p.DingTalkID != nil && *p.DingTalkID != "" {
		c, err := d.dingtalkChat(ctx, dingtalk.PersonChat, *p.DingTalkID)
		if err != nil {
			return nil, err
		}
		chats = append(chats, c)
	}
	return chats, nil
}

// GroupChats are the groups a county gets reminders in (chatID: its
// Telegram group, 0 for none).
func (d Directory) GroupChats(ctx context.Context, county string, chatID int64) ([]int64, error) {
	var chats []int64
	if d.telegram && chatID != 0 {
		chats = append(chats, chatID)
	}
	co, ok := d.counties[county]
	if !d.dingtalk || !ok {
		return chats, nil
	}
	if co.OpenConversationID != "" {
		c, err := d.dingtalkChat(ctx, dingtalk.GroupChat, co.OpenConversationID)
		if err != nil {
			return nil, err
		}
		chats = append(chats, c)
	}
	if co.RobotWebhook != "" && co.RobotSecret != "" {
		c, err := d.dingtalkChat(ctx, dingtalk.RobotChat, co.Name)
		if err != nil {
			return nil, err
		}
		chats = append(chats, c)
	}
	return chats, nil
}
