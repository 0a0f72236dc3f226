package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"tsbot/data"
	"tsbot/jobs"
)

// check validates the config file and the database connection and prints
// what the bot would do, without starting it. Any error names the config key
// at fault and makes the exit status non-zero. Opening the database brings
// its schema up to date, exactly as a start would; nothing else is written.
func check(ctx context.Context, configPath string, getenv func(string) string, stdout io.Writer) error {
	cfg, err := data.LoadConfig(configPath)
	if err != nil {
		return err
	}
	campaign, err := cfg.BuildCampaign()
	if err != nil {
		return err
	}
	roster, err := cfg.BuildRoster()
	if err != nil {
		return err
	}
	p := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	src := configPath
	if src == "" {
		src = "（内置默认）"
	}
	p("配置：%s", src)

	log := slog.New(slog.DiscardHandler)
	store, err := data.Open(cfg.Database, log)
	if err != nil {
		return err
	}
	defer store.Close()
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := store.Ping(pingCtx); err != nil {
		return fmt.Errorf("check: database: %w", err)
	}
	switch store.Driver() {
	case "postgres":
		p("数据库：PostgreSQL（database.dsn），连接正常")
	default:
		p("数据库：SQLite %s，连接正常", cfg.Database.Path)
	}
	people, err := store.People(ctx)
	if err != nil {
		return err
	}
	done, err := store.Totals(ctx)
	if err != nil {
		return err
	}

	loc := campaign.Location
	day := func(t time.Time) string {
		if t.IsZero() {
			return "未设"
		}
		return t.In(loc).Format("2006-01-02")
	}
	p("活动：%s（时区 %s）", campaign.Name, loc)
	p("  培育截止 %s，名单上报截止 %s，验收 %s 至 %s", day(campaign.CultivationDue), day(campaign.ListsDue), day(campaign.AcceptanceFrom), day(campaign.AcceptanceTo))
	var names []string
	var target, have data.Counts
	for _, co := range campaign.Counties {
		names = append(names, co.Name)
		for i := range target {
			target[i] += co.Target[i]
			have[i] += done[co.Name][i]
		}
	}
	p("  区县 %d 个：%s", len(campaign.Counties), strings.Join(names, "、"))
	for _, ind := range data.Indicators {
		p("  %s：目标 %d，已完成 %d", ind.Name(), target[ind], have[ind])
	}
	p("名单：配置文件 %d 人，数据库 %d 人（启动时配置文件中的人写入数据库）", len(roster), len(people))
	if cfg.Telegram.Token != "" || getenv("TELEGRAM_BOT_TOKEN") != "" {
		p("Telegram：%s 模式，token 已设置", cfg.Telegram.Mode)
	} else {
		p("Telegram：%s 模式，token 未设置（运行前请设置 TELEGRAM_BOT_TOKEN）", cfg.Telegram.Mode)
	}

	runner, err := jobs.NewRunner(store, nil, &campaign, cfg.Reminders, log)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !cfg.Reminders.Enabled {
		p("提醒：关闭（reminders.enabled = false）")
	} else {
		next := runner.Upcoming(time.Now(), 5)
		p("提醒：开启，共 %d 条；接下来：", len(runner.Reminders()))
		if len(next) == 0 {
			p("  （没有了）")
		}
		for _, l := range next {
			p("  %s", l)
		}
		problems, err := runner.Problems(ctx)
		if err != nil {
			return err
		}
		for _, pr := range problems {
			p("  注意：%s", pr)
		}
	}

	switch {
	case cfg.Backup.Dir == "":
		p("备份：不做每日备份（backup.dir 为空）")
	case store.Driver() != "sqlite":
		p("备份：PostgreSQL 用 pg_dump 备份，机器人不做")
	default:
		if _, err := jobs.NewBackups(store, cfg.Backup, loc, log); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		p("备份：每天 %s 备份到 %s，保留 %d 份", cfg.Backup.Time, cfg.Backup.Dir, cfg.Backup.Keep)
	}
	p("检查通过。")
	return nil
}
