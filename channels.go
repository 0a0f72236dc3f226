package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"tsbot/bot/dingtalk"
	"tsbot/bot/telegram"
	"tsbot/data"
)

// The channels of run: Telegram, DingTalk, or both in one process on the
// same handler, ledger and reminders.

// channels runs whichever channels the config turns on.
func (a *app) channels(ctx context.Context) error {
	if !a.cfg.DingTalk.Enabled {
		return a.telegram(ctx)
	}
	// From here on no log line may carry the DingTalk secret either.
	a.log = telegram.RedactLogger(a.log, a.cfg.DingTalk.ClientSecret)
	dt, err := dingtalk.New(a.cfg.DingTalk, a.handler(), a.log, dingtalk.Options{Counties: a.cfg.Campaign.Counties})
	if err != nil {
		return err
	}
	if a.cfg.Telegram.Token == "" {
		// DingTalk alone: reminders to each person's DingTalk.
		defer startReminders(ctx, a, dingtalkNotifier{a.store, dt})()
		stopBackups, err := startBackups(ctx, a)
		if err != nil {
			return err
		}
		defer stopBackups()
		a.log.Info("tsbot: starting", slog.String("channels", "dingtalk"), slog.String("database", a.cfg.Database.Path))
		return dt.Run(ctx)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- dt.Run(ctx) }()
	a.log.Info("tsbot: DingTalk beside Telegram", slog.String("channels", "telegram,dingtalk"))
	err = a.telegram(ctx)
	cancel()
	return err
}

// dingtalkNotifier queues reminders for DingTalk: the runner names a person
// by their roster user id; they get it privately on DingTalk when they have
// a staff id.
type dingtalkNotifier struct {
	store *data.Store
	dt    *dingtalk.Adapter
}

func (n dingtalkNotifier) chat(ctx context.Context, chatID int64) (int64, error) {
	p, err := n.store.Person(ctx, chatID)
	if err != nil || p.DingTalkID == nil {
		return 0, fmt.Errorf("dingtalk: chat %d is nobody on DingTalk", chatID)
	}
	return n.dt.PersonChat(ctx, *p.DingTalkID)
}

func (n dingtalkNotifier) Notify(ctx context.Context, chatID int64, text string) error {
	_, err := n.QueueReminder(ctx, fmt.Sprintf("now:%d", time.Now().UnixNano()), chatID, text, time.Now().Add(time.Hour))
	return err
}

func (n dingtalkNotifier) QueueReminder(ctx context.Context, key string, chatID int64, text string, expires time.Time) (bool, error) {
	c, err := n.chat(ctx, chatID)
	if err != nil {
		return false, err
	}
	return n.dt.QueueReminder(ctx, key, c, text, expires)
}

// checkChannels says which channels are on and, for DingTalk, whether it
// accepts the credentials (the token call). No secret is printed.
func checkChannels(ctx context.Context, cfg data.Config, p func(string, ...any)) error {
	on := "Telegram"
	switch {
	case cfg.DingTalk.Enabled && cfg.Telegram.Token != "":
		on = "Telegram + 钉钉"
	case cfg.DingTalk.Enabled:
		on = "钉钉"
	case cfg.Telegram.Token == "":
		on = "Telegram（未设置 token）"
	}
	p("渠道：%s", on)
	if !cfg.DingTalk.Enabled {
		return nil
	}
	dt, err := dingtalk.New(cfg.DingTalk, nil, slog.New(slog.DiscardHandler), dingtalk.Options{})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := dt.CheckCredentials(ctx); err != nil {
		return fmt.Errorf("config: dingtalk.client_id / dingtalk.client_secret: DingTalk did not accept them: %w", err)
	}
	p("  钉钉：凭据有效（已取得 access token）")
	return nil
}
