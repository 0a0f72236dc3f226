// Command tsbot is the chat assistant of the Shaoxing Market Supervision
// Bureau for its trade-secret-protection demonstration programme.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without zone data

	"tsbot/bot"
	"tsbot/bot/channels"
	"tsbot/bot/dingtalk"
	"tsbot/bot/telegram"
	"tsbot/data"
	"tsbot/data/export"
	"tsbot/jobs"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}

const usage = `tsbot: 商业秘密保护示范单位培育 进度助手

用法:
  tsbot [run]      [-config FILE]            以 Telegram 机器人运行（需要 TELEGRAM_BOT_TOKEN）
  tsbot console    [-config FILE] [-user ID] 在终端里试用：每行一条消息
  tsbot report     [-config FILE] [-format table|json|csv]  打印全市进度表
  tsbot export     [-config FILE] -out FILE [-county 区县]  导出名单表格（Excel：进度、培育名单、专项辅导名单、记录明细）
  tsbot remind     [-config FILE] -at TIME [-dry-run]        计算并发送该时刻到期的提醒（TIME: RFC3339 或 "2006-01-02 15:04" 本地时间；-dry-run 只打印）
  tsbot backup     [-config FILE] -out FILE  机器人运行时也可：把 SQLite 数据库一致地复制到 FILE（不覆盖已有文件）
  tsbot check      [-config FILE]            检查配置和数据库连接，打印机器人将做什么，不启动它

配置文件也可由环境变量 TSBOT_CONFIG 指定；不给则用内置默认（绍兴 6 个区县，SQLite 文件 tsbot.db）。
`

// app is what every subcommand shares: the config, the log, the store.
type app struct {
	cfg      data.Config
	campaign data.Campaign
	log      *slog.Logger
	store    *data.Store
	// reminders is nil when reminders.enabled is false.
	reminders *jobs.Runner
	// pictures draws /chart on every channel and the weekly digest's
	// picture, with one font read once.
	pictures *bot.Pictures
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	cmd := "run"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	configPath := fs.String("config", getenv("TSBOT_CONFIG"), "config file (TOML)")
	user := fs.Int64("user", 0, "console: the roster user id to speak as (default: an admin)")
	format := fs.String("format", "table", "report: table, json or csv")
	outPath := fs.String("out", "", "export: the .xlsx file to write (- for stdout); backup: the copy to write (must not exist)")
	exportCounty := fs.String("county", "", "export: one county; default the whole city")
	remindAt := fs.String("at", "", `remind: the instant, RFC3339 or "2006-01-02 15:04" in campaign.timezone`)
	dryRun := fs.Bool("dry-run", false, "remind: print recipients and texts; send and record nothing")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h: the usage is printed, and asking for it is no failure
		}
		return err
	}
	switch cmd {
	case "run", "console", "report", "remind", "export", "backup":
	case "check":
		return check(ctx, *configPath, getenv, stdout)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}

	a, err := openApp(ctx, *configPath, getenv, stderr, cmd == "console" || cmd == "report" || cmd == "export" || cmd == "backup")
	if err != nil {
		return err
	}
	defer a.store.Close()

	switch cmd {
	case "console":
		if a.reminders != nil {
			a.reminders.SetNotifier(consoleNotifier{stdout}) // /remindnow prints here
		}
		return bot.Console(ctx, a.handler(), *user, stdin, stdout)
	case "report":
		return bot.WriteReport(ctx, a.store, &a.campaign, *format, stdout)
	case "export":
		return export.WriteFile(ctx, a.store, &a.campaign, *exportCounty, *outPath, stdout)
	case "remind":
		return a.remind(ctx, *remindAt, *dryRun, stdout)
	case "backup":
		return a.backup(ctx, *outPath, stdout)
	}
	return a.channels(ctx)
}

// loadConfig reads and validates the config the way every subcommand, check
// included, does: the file over the defaults, the token of the environment
// over the file's, then one data.Config.Build: every section validated, the
// campaign and the roster built once. exposed lists the secrets the file
// holds while group or others may read it, to warn about.
func loadConfig(configPath string, getenv func(string) string) (cfg data.Config, built data.Built, exposed []string, mode fs.FileMode, err error) {
	cfg, err = data.LoadConfig(configPath)
	if err != nil {
		return cfg, built, nil, 0, err
	}
	if exposed, mode, err = cfg.Exposed(configPath); err != nil {
		return cfg, built, nil, 0, err
	}
	if tok := getenv("TELEGRAM_BOT_TOKEN"); tok != "" {
		cfg.Telegram.Token = tok
	}
	if sec := getenv("DINGTALK_CLIENT_SECRET"); sec != "" {
		cfg.DingTalk.ClientSecret = sec
	}
	if built, err = cfg.Build(); err != nil {
		return cfg, built, nil, 0, err
	}
	return cfg, built, exposed, mode, nil
}

func openApp(ctx context.Context, configPath string, getenv func(string) string, stderr io.Writer, quiet bool) (*app, error) {
	cfg, built, exposed, mode, err := loadConfig(configPath, getenv)
	if err != nil {
		return nil, err
	}
	campaign, people := built.Campaign, built.Roster
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	// One logger for everyone from the start, redacting both channels'
	// secrets in every encoding: the Bot API puts the token in every URL,
	// and network errors quote URLs.
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	log = telegram.RedactLogger(telegram.RedactLogger(log, cfg.Telegram.Token), cfg.DingTalk.ClientSecret)
	if len(exposed) > 0 {
		log.Warn("config: the file holds a secret and group or others may read it: chmod 600 it, or give the secrets in TELEGRAM_BOT_TOKEN and DINGTALK_CLIENT_SECRET",
			slog.String("file", configPath), slog.String("mode", fmt.Sprintf("%04o", mode)), slog.String("keys", strings.Join(exposed, ",")))
	}
	for _, y := range campaign.Unscheduled {
		log.Warn("calendar: the holiday data (lunar-go) has no State Council schedule for this year: only weekends are off; list its days in campaign.extra_holidays and extra_workdays, or upgrade lunar-go",
			slog.Int("year", y))
	}
	store, err := data.Open(cfg.Database, log)
	if err != nil {
		return nil, err
	}
	store.ListsClose = campaign.ListsClose() // after it, county staff need an admin to change their lists
	if _, err := store.CheckTotals(ctx); err != nil {
		store.Close()
		return nil, err
	}
	if err := store.SeedRoster(ctx, people); err != nil {
		store.Close()
		return nil, err
	}
	a := &app{cfg: cfg, campaign: campaign, log: log, store: store, pictures: &bot.Pictures{Font: cfg.Chart.Font}}
	if err := a.setUpReminders(ctx, !quiet); err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
}

// newTelegram builds the Telegram channel: the one place it is built.
func (a *app) newTelegram() (*telegram.Adapter, error) {
	return telegram.New(a.cfg.Telegram, a.handler(), a.log, telegram.Options{})
}

func (a *app) handler() *bot.Handler {
	h := bot.NewHandler(a.store, &a.campaign, a.log)
	h.Pictures = a.pictures
	if a.reminders != nil {
		h.Reminders = a.reminders
	}
	return h
}

// telegram runs the Telegram channel; dt is DingTalk's when it runs beside
// it (nil otherwise), for the reminders.
func (a *app) telegram(ctx context.Context, dt *dingtalk.Adapter) error {
	if a.cfg.Telegram.Token == "" {
		return errors.New("没有 Telegram 机器人 token：请设置环境变量 TELEGRAM_BOT_TOKEN（或配置文件的 telegram.token）；" +
			"不连 Telegram 试用请运行：go run . console")
	}
	t, err := a.newTelegram()
	if err != nil {
		return err
	}
	defer startReminders(ctx, a, channels.NewQueue(t, dt))()
	go bot.ReturnMemory(ctx, 5*time.Second, a.store.ReleaseMemory)
	stopBackups, err := startBackups(ctx, a)
	if err != nil {
		return err
	}
	defer stopBackups()
	a.log.Info("tsbot: starting", slog.String("mode", a.cfg.Telegram.Mode), slog.String("database", a.cfg.Database.Path))
	if err := t.Run(ctx); err != nil {
		return err
	}
	a.log.Info("tsbot: stopped")
	return nil
}

// setUpReminders checks the reminder config at start-up, for every
// subcommand: a malformed reminders.time or weekly_digest, a holiday outside
// the campaign year, stop the start with an error naming the key. Gaps in
// the recipients are logged, not fatal (see jobs.Runner.Problems).
func (a *app) setUpReminders(ctx context.Context, warn bool) error {
	r, err := jobs.NewRunner(a.store, nil, &a.campaign, a.cfg.Reminders, a.log)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !a.cfg.Reminders.Enabled {
		return nil
	}
	r.SetDirectory(channels.NewDirectory(a.cfg, a.store))
	problems, err := r.Problems(ctx)
	if err != nil {
		return err
	}
	problems = append(problems, idleRobots(a.cfg)...)
	if warn {
		for _, p := range problems {
			a.log.Warn("reminders: "+p.Text, slog.String("config_key", p.Key))
		}
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
	a.remindThrough(n)
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

// remindThrough makes the reminders go out through n, the weekly digest
// with its picture.
func (a *app) remindThrough(n jobs.Notifier) {
	a.reminders.SetNotifier(n)
	a.reminders.SetPicture(a.digestPicture)
}

// digestPicture draws the chart that goes with the weekly digest.
func (a *app) digestPicture(ctx context.Context, now time.Time) (data.File, error) {
	d, _, err := a.pictures.Progress(ctx, a.store, &a.campaign, now)
	return d, err
}

// idleRobots are the counties' custom robots that get nothing: the DingTalk
// channel sends them, and it is off.
func idleRobots(cfg data.Config) []jobs.Problem {
	if cfg.DingTalk.Enabled {
		return nil
	}
	var out []jobs.Problem
	for i, co := range cfg.Campaign.Counties {
		if co.RobotWebhook != "" {
			out = append(out, jobs.Problem{Key: fmt.Sprintf("campaign.counties[%d].robot_webhook", i),
				Text: fmt.Sprintf("%s's custom robot gets no reminders while dingtalk.enabled is false (the DingTalk channel sends them)", co.Name)})
		}
	}
	return out
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
	now, err := jobs.ParseInstant(at, a.campaign.Location)
	if err != nil {
		return err
	}
	if dryRun {
		plan, err := a.reminders.Plan(ctx, now)
		if err != nil {
			return err
		}
		jobs.WritePlan(stdout, now, plan)
		return nil
	}
	if now.After(time.Now()) {
		// Sending for a future instant would record today's reminders as
		// missed, and they would never go out.
		return fmt.Errorf("remind: -at %s is in the future: preview it with -dry-run", at)
	}
	if a.cfg.Telegram.Token == "" && !a.cfg.DingTalk.Enabled {
		return errors.New("remind: 没有 Telegram 机器人 token，无法发送：请设置环境变量 TELEGRAM_BOT_TOKEN（或配置文件的 telegram.token）；只看内容请加 -dry-run")
	}
	var tg *telegram.Sender
	var dt *dingtalk.Adapter
	if a.cfg.Telegram.Token != "" {
		t, err := a.newTelegram()
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
		tg = t.Sender()
	}
	if a.cfg.DingTalk.Enabled {
		var err error
		if dt, err = a.newDingTalk(); err != nil {
			return err
		}
	}
	a.reminders.SetNotifier(channels.NewNotifier(tg, dt))
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

// backup writes a consistent copy of the SQLite database to out while the
// bot may be running (VACUUM INTO); it never overwrites a file.
func (a *app) backup(ctx context.Context, out string, stdout io.Writer) error {
	if out == "" {
		return errors.New("backup: -out FILE is required")
	}
	if err := a.store.Backup(ctx, out); err != nil {
		return err
	}
	_, err := fmt.Fprintf(stdout, "备份完成：%s\n", out)
	return err
}

// startBackups runs the daily backup beside the bot and returns a function
// that stops it. Nothing runs when backup.dir is empty, nor on PostgreSQL,
// whose backups are pg_dump's business (see the README). A malformed
// backup section stops the start with an error naming the key; a folder
// that cannot be written is only logged, at each pass.
func startBackups(ctx context.Context, a *app) (stop func(), err error) {
	b, on, err := newBackups(a)
	if err != nil || !on {
		return func() {}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := b.Run(ctx); err != nil {
			a.log.Error("backup: stopped", slog.Any("err", err))
		}
	}()
	return func() {
		cancel()
		<-done
	}, nil
}

// newBackups builds the daily backup job; on is false when there is none
// to run.
func newBackups(a *app) (b *jobs.Backups, on bool, err error) {
	if a.cfg.Backup.Dir == "" {
		a.log.Info("backup: off (backup.dir is empty)")
		return nil, false, nil
	}
	if a.store.Driver() != "sqlite" {
		a.log.Info("backup: off on PostgreSQL: back it up with pg_dump (see the README)")
		return nil, false, nil
	}
	b, err = jobs.NewBackups(a.store, a.cfg.Backup, a.campaign.Location, a.log)
	if err != nil {
		return nil, false, fmt.Errorf("config: %w", err)
	}
	return b, true, nil
}

// check validates the config file and the database connection and prints
// what the bot would do, without starting it. Any error names the config key
// at fault and makes the exit status non-zero. Opening the database brings
// its schema up to date, exactly as a start would; nothing else is written.
func check(ctx context.Context, configPath string, getenv func(string) string, stdout io.Writer) error {
	cfg, built, exposed, mode, err := loadConfig(configPath, getenv)
	if err != nil {
		return err
	}
	campaign, roster := built.Campaign, built.Roster
	p := func(format string, args ...any) { fmt.Fprintf(stdout, format+"\n", args...) }
	src := configPath
	if src == "" {
		src = "（内置默认）"
	}
	p("配置：%s", src)
	if len(exposed) > 0 {
		p("  注意：配置文件 %s 含有 %s，且同组或其他用户可读（权限 %04o）：请 chmod 600 %s，或把密钥放进环境变量 TELEGRAM_BOT_TOKEN、DINGTALK_CLIENT_SECRET", configPath, strings.Join(exposed, "、"), mode, configPath)
	}
	if err := checkChannels(ctx, cfg, p); err != nil {
		return err
	}

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

	checkCampaign(p, cfg, &campaign, done, len(roster), len(people))
	tgMode := "polling" // validated: "", "polling" or "webhook"
	if cfg.Telegram.Mode == "webhook" {
		tgMode = "webhook"
	}
	if cfg.Telegram.Token != "" {
		p("Telegram：%s 模式，token 已设置", tgMode)
	} else {
		p("Telegram：%s 模式，token 未设置（运行前请设置 TELEGRAM_BOT_TOKEN）", tgMode)
	}

	if err := checkReminders(ctx, p, cfg, store, &campaign, log); err != nil {
		return err
	}

	switch {
	case cfg.Backup.Dir == "":
		p("备份：不做每日备份（backup.dir 为空）")
	case store.Driver() != "sqlite":
		p("备份：PostgreSQL 用 pg_dump 备份，机器人不做")
	default:
		if _, err := jobs.NewBackups(store, cfg.Backup, campaign.Location, log); err != nil {
			return fmt.Errorf("config: %w", err)
		}
		p("备份：每天 %s 备份到 %s，保留 %d 份", cfg.Backup.Time, cfg.Backup.Dir, cfg.Backup.Keep)
	}
	p("检查通过。")
	return nil
}

// The channels of run: Telegram, DingTalk, or both in one process on the
// same handler, ledger and reminders.

// channels runs whichever channels the config turns on.
func (a *app) channels(ctx context.Context) error {
	if !a.cfg.DingTalk.Enabled {
		return a.telegram(ctx, nil)
	}
	dt, err := a.newDingTalk()
	if err != nil {
		return err
	}
	if a.cfg.Telegram.Token == "" {
		// DingTalk alone: reminders to each person's DingTalk and the county groups.
		defer startReminders(ctx, a, channels.NewQueue(nil, dt))()
		go bot.ReturnMemory(ctx, 5*time.Second, a.store.ReleaseMemory)
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
	err = a.telegram(ctx, dt)
	cancel()
	<-done // DingTalk's outbox stops before the store closes
	return err
}

// newDingTalk builds the DingTalk channel: the one place it is built.
func (a *app) newDingTalk() (*dingtalk.Adapter, error) {
	return dingtalk.New(a.cfg.DingTalk, a.handler(), a.log, dingtalk.Options{Counties: a.cfg.Campaign.Counties})
}

// checkCampaign is what check says of the campaign: its dates, calendar,
// counties, the city's standing and the roster.
func checkCampaign(p func(string, ...any), cfg data.Config, campaign *data.Campaign, done map[string]data.Counts, inConfig, inStore int) {
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
	for _, co := range campaign.Counties {
		names = append(names, co.Name)
	}
	for _, l := range data.CalendarLines(campaign, cfg.Campaign, time.Now()) {
		p("  %s", l)
	}
	total := data.StandCity(campaign, done).Total
	p("  区县 %d 个：%s", len(campaign.Counties), strings.Join(names, "、"))
	for _, ind := range data.Indicators {
		p("  %s：目标 %d，已完成 %d，各区县尚差合计 %d", ind.Name(), total.Target[ind], total.Done[ind], total.Gap[ind])
	}
	p("名单：配置文件 %d 人，数据库 %d 人（启动时配置文件中的人写入数据库）", inConfig, inStore)
}

// checkReminders is what check says of the reminders: the next ones, and
// what would make one reach nobody. It writes nothing.
func checkReminders(ctx context.Context, p func(string, ...any), cfg data.Config, store *data.Store, campaign *data.Campaign, log *slog.Logger) error {
	runner, err := jobs.NewRunner(store, nil, campaign, cfg.Reminders, log)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	dir := channels.NewDirectory(cfg, store)
	dir.Count = true // check writes nothing
	runner.SetDirectory(dir)
	if !cfg.Reminders.Enabled {
		p("提醒：关闭（reminders.enabled = false）")
	} else {
		next := runner.Upcoming(ctx, time.Now(), 5)
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
		problems = append(problems, idleRobots(cfg)...)
		for _, pr := range problems {
			p("  注意：%s", pr)
		}
	}

	return nil
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
