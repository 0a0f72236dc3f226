// Command tsbot is the chat assistant of the Shaoxing Market Supervision
// Bureau for its trade-secret-protection demonstration programme.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // Asia/Shanghai on machines without zone data

	"tsbot/bot"
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
  tsbot export     [-config FILE] -out FILE [-county 区县]  导出名单表格（Excel：进度、培育名单、专项辅导名单）
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
		return a.console(ctx, *user, stdin, stdout)
	case "report":
		return a.report(ctx, *format, stdout)
	case "export":
		return a.export(ctx, *outPath, *exportCounty, stdout)
	case "remind":
		return a.remind(ctx, *remindAt, *dryRun, stdout)
	case "backup":
		return a.backup(ctx, *outPath, stdout)
	}
	return a.telegram(ctx)
}

func openApp(ctx context.Context, configPath string, getenv func(string) string, stderr io.Writer, quiet bool) (*app, error) {
	cfg, err := data.LoadConfig(configPath)
	if err != nil {
		return nil, err
	}
	if tok := getenv("TELEGRAM_BOT_TOKEN"); tok != "" {
		cfg.Telegram.Token = tok
	}
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	campaign, err := cfg.BuildCampaign()
	if err != nil {
		return nil, err
	}
	people, err := cfg.BuildRoster()
	if err != nil {
		return nil, err
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
	a := &app{cfg: cfg, campaign: campaign, log: log, store: store}
	if err := a.setUpReminders(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return a, nil
}

func (a *app) handler() *bot.Handler {
	h := bot.NewHandler(a.store, &a.campaign, a.log)
	if a.reminders != nil {
		h.Reminders = a.reminders
	}
	return h
}

// console speaks as a roster user; by default the first admin, or a local
// console admin that no Telegram user can be.
func (a *app) console(ctx context.Context, userID int64, stdin io.Reader, stdout io.Writer) error {
	name := "控制台"
	if userID == 0 {
		people, err := a.store.People(ctx)
		if err != nil {
			return err
		}
		for _, p := range people {
			if p.Role == data.RoleAdmin {
				userID, name = p.UserID, p.Name
				break
			}
		}
	}
	if userID == 0 {
		userID = bot.ConsoleUser
		if err := a.store.SavePerson(ctx, data.Person{UserID: userID, Role: data.RoleAdmin, Name: name}); err != nil {
			return err
		}
	} else if p, err := a.store.Person(ctx, userID); err != nil {
		return fmt.Errorf("console: user %d is not on the roster: %w", userID, err)
	} else if p.Name != "" {
		name = p.Name
	}
	fmt.Fprintf(stdout, "控制台模式：以用户 %d（%s）身份发消息，每行一条；Ctrl-D 退出。试试：柯桥 辅导企业 +3 或 /status\n\n", userID, name)
	if a.reminders != nil {
		a.reminders.SetNotifier(consoleNotifier{stdout}) // /remindnow prints here
	}
	return bot.RunConsole(ctx, a.handler(), userID, name, stdin, stdout)
}

// export writes the lists' spreadsheet, of the city or one county.
func (a *app) export(ctx context.Context, out, county string, stdout io.Writer) error {
	if out == "" {
		return errors.New("export: -out FILE is required (- for stdout)")
	}
	if county != "" {
		co, ok := a.campaign.County(county)
		if !ok {
			return fmt.Errorf("export: -county %q: no such county", county)
		}
		county = co.Name
	}
	now := a.store.Now()
	in, err := export.Load(ctx, a.store, &a.campaign, county, now)
	if err != nil {
		return err
	}
	if out == "-" {
		return export.Workbook(stdout, in)
	}
	var buf bytes.Buffer
	if err := export.Workbook(&buf, in); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	fmt.Fprintf(stdout, "已导出：%s（%d字节）\n", out, buf.Len())
	return nil
}

func (a *app) report(ctx context.Context, format string, stdout io.Writer) error {
	done, err := a.store.Totals(ctx)
	if err != nil {
		return err
	}
	r := data.BuildReport(&a.campaign, done, a.store.Now())
	switch format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "csv":
		return r.WriteCSV(stdout)
	case "table":
		_, err := fmt.Fprintln(stdout, bot.CityStatus(&a.campaign, done, a.store.Now()))
		return err
	}
	return fmt.Errorf("report: -format %q: use table, json or csv", format)
}

func (a *app) telegram(ctx context.Context) error {
	if a.cfg.Telegram.Token == "" {
		return errors.New("没有 Telegram 机器人 token：请设置环境变量 TELEGRAM_BOT_TOKEN（或配置文件的 telegram.token）；" +
			"不连 Telegram 试用请运行：go run . console")
	}
	// From here on no log line may carry the token: the Bot API puts it in
	// every URL, and network errors quote URLs.
	a.log = bot.RedactLogger(a.log, a.cfg.Telegram.Token)
	t, err := bot.NewTelegram(a.cfg.Telegram, a.handler(), a.log, bot.TelegramOptions{})
	if err != nil {
		return err
	}
	defer startReminders(ctx, a, telegramNotifier{t.Sender()})()
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
