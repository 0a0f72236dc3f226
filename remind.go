package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"

	"tsbot/bot"
	"tsbot/jobs"
)

// setUpReminders checks the reminder config at start-up, for every
// subcommand: a malformed reminders.time or weekly_digest, a holiday outside
// the campaign year, stop the start with an error naming the key. Gaps in
// the recipients are logged, not fatal (see jobs.Runner.Problems).
func (a *app) setUpReminders(ctx context.Context) error {
	r, err := jobs.NewRunner(a.store, nil, &a.campaign, a.cfg.Reminders, a.log)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !a.cfg.Reminders.Enabled {
		return nil
	}
	problems, err := r.Problems(ctx)
	if err != nil {
		return err
	}
	for _, p := range problems {
		a.log.Warn("reminders: "+p, slog.String("config_key", strings.SplitN(p, ":", 2)[0]))
	}
	a.reminders = r
	return nil
}

// startReminders runs the reminder cron beside the bot, sending through n,
// and returns a function that stops it and waits for the pass under way.
// Nothing runs when reminders are off.
func startReminders(ctx context.Context, a *app, n jobs.Notifier) (stop func()) {
	if a.reminders == nil {
		a.log.Info("reminders: off (reminders.enabled = false)")
		return func() {}
	}
	a.reminders.SetNotifier(n)
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.reminders.Run(ctx); err != nil {
			a.log.Error("reminders: stopped", slog.Any("err", err))
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// telegramNotifier sends reminders through the bot's sender, which paces
// them within Telegram's limits and retries 429 and 5xx. A 403 (the bot was
// blocked or removed from the group) is final: jobs records it as skipped.
type telegramNotifier struct{ s *bot.Sender }

func (n telegramNotifier) Notify(ctx context.Context, chatID int64, text string) error {
	err := n.s.Send(ctx, chatID, text)
	if errors.Is(err, tgbot.ErrorForbidden) {
		return fmt.Errorf("%w: %w", jobs.ErrUnreachable, err)
	}
	return err
}

// consoleNotifier prints what would be sent, for the console subcommand.
type consoleNotifier struct{ w io.Writer }

func (n consoleNotifier) Notify(ctx context.Context, chatID int64, text string) error {
	_, err := fmt.Fprintf(n.w, "【提醒 → chat %d】\n%s\n", chatID, text)
	return err
}

// remind computes the reminders due at the instant at and prints them
// (dryRun: recipients and full texts, nothing sent or recorded) or sends
// them through Telegram and prints what happened.
func (a *app) remind(ctx context.Context, at string, dryRun bool, stdout io.Writer) error {
	if a.reminders == nil {
		return errors.New("remind: reminders are off (reminders.enabled = false)")
	}
	if strings.TrimSpace(at) == "" {
		return errors.New(`remind: -at is required: RFC3339 (2027-09-21T09:00:00+08:00) or "2027-09-21 09:00" in campaign.timezone`)
	}
	now, err := parseInstant(at, a.campaign.Location)
	if err != nil {
		return err
	}
	if dryRun {
		plan, err := a.reminders.Plan(ctx, now)
		if err != nil {
			return err
		}
		printPlan(stdout, now, plan)
		return nil
	}
	if now.After(time.Now()) {
		// Sending for a future instant would record today's reminders as
		// missed, and they would never go out.
		return fmt.Errorf("remind: -at %s is in the future: preview it with -dry-run", at)
	}
	if a.cfg.Telegram.Token == "" {
		return errors.New("remind: 没有 Telegram 机器人 token，无法发送：请设置环境变量 TELEGRAM_BOT_TOKEN（或配置文件的 telegram.token）；只看内容请加 -dry-run")
	}
	a.log = bot.RedactLogger(a.log, a.cfg.Telegram.Token)
	t, err := bot.NewTelegram(a.cfg.Telegram, a.handler(), a.log, bot.TelegramOptions{})
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := t.Sender().Close(cctx); err != nil {
			a.log.Warn("remind: sender", slog.Any("err", err))
		}
	}()
	a.reminders.SetNotifier(telegramNotifier{t.Sender()})
	outcomes, err := a.reminders.RunAt(ctx, now)
	for _, o := range outcomes {
		line := fmt.Sprintf("%s\t%d\t%s", o.Reminder.Key, o.ChatID, o.Status)
		switch {
		case o.Err != nil:
			line += "\t" + o.Err.Error()
		case o.Skip != "":
			line += "\t" + o.Skip
		}
		fmt.Fprintln(stdout, line)
	}
	if len(outcomes) == 0 && err == nil {
		fmt.Fprintf(stdout, "%s：没有需要发送的提醒（或都已发送过）。\n", now.Format("2006-01-02 15:04 MST"))
	}
	return err
}

// parseInstant reads RFC3339, or "2006-01-02 15:04" in the campaign's zone.
func parseInstant(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.In(loc), nil
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		return time.Time{}, fmt.Errorf(`remind: -at %q: use RFC3339 (2027-09-21T09:00:00+08:00) or "2027-09-21 09:00"`, s)
	}
	return t, nil
}

// printPlan writes a dry run: one block per reminder and chat.
func printPlan(w io.Writer, now time.Time, plan []jobs.Delivery) {
	fmt.Fprintf(w, "%s 到期的提醒（试运行：不发送，不记录）\n", now.Format("2006-01-02 15:04 MST"))
	if len(plan) == 0 {
		fmt.Fprintln(w, "（无）")
		return
	}
	for _, d := range plan {
		fmt.Fprintf(w, "\n== %s → chat %d (%s)\n", d.Reminder.Key, d.ChatID, d.ConfigKey)
		if d.Skip != "" {
			fmt.Fprintf(w, "跳过：%s\n", d.Skip)
			continue
		}
		fmt.Fprintln(w, strings.TrimRight(d.Text, "\n"))
	}
}
