package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"tsbot/bot/telegramtest"
	"tsbot/data"
	"tsbot/data/bigledger"
	"tsbot/data/testkit"
)

// The benchmarks of the real binary, run as the bureau runs it: built,
// exec'd with a config, against the fake Bot API on loopback.

// benchAdmin is the admin who asks for the city's /export.
const benchAdmin int64 = 1001

// BenchmarkIdleMemory reports the resident memory (VmRSS) of the running
// bot with reminders on (target: under 40 MB), idle after its first
// update, and again after an /export of the city: the ledger of the
// issue's scale, a million entries and 80,000 names, preloaded. peak-MB
// is VmHWM, the most it held at once. Telegram alone, and Telegram with
// DingTalk in one process (on an empty ledger: what DingTalk adds).
func BenchmarkIdleMemory(b *testing.B) {
	b.Run("telegram", func(b *testing.B) {
		var idle, after, peak float64
		for range b.N {
			bb := startBigBot(b)
			idle = bb.rss(b, "VmRSS")
			bb.export(b)
			after, peak = bb.rss(b, "VmRSS"), bb.rss(b, "VmHWM")
			kill9(bb.cmd)
		}
		b.ReportMetric(idle, "idle-RSS-MB")
		b.ReportMetric(after, "after-export-RSS-MB")
		b.ReportMetric(peak, "peak-MB")
	})
	b.Run("telegram+dingtalk", func(b *testing.B) {
		var rss float64
		for range b.N {
			cmd, _ := idleBotOn(b, true)
			time.Sleep(2 * time.Second) // let start-up garbage be collected
			rss = rssOf(b, cmd.Process.Pid, "VmRSS")
			kill9(cmd)
		}
		b.ReportMetric(rss, "idle-RSS-MB")
	})
}

// BenchmarkStartupExec is the start of the real binary on a ledger of a
// million entries: from exec to the fake Bot API's first getUpdates
// (target: under 300 ms). Migrations, the check of every total against its
// entries, the roster, the reminders' schedule and the first polls are all
// in it.
func BenchmarkStartupExec(b *testing.B) {
	dir := b.TempDir()
	bin := buildBot(b, dir)
	srv := telegramtest.New(b)
	cfgPath := bigBotConfig(b, dir, srv.URL(), bigledger.Copy(b, benchLedger()))
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		seen := len(srv.CallsTo("getUpdates"))
		stderr := &testkit.Buffer{}
		b.StartTimer()
		cmd := startBot(b, bin, cfgPath, stderr)
		if err := waitPolls(srv, seen+1); err != nil {
			kill9(cmd)
			b.Fatalf("%v\n%s", err, stderr.String())
		}
		b.StopTimer()
		kill9(cmd)
		b.StartTimer()
	}
}

func waitPolls(srv *telegramtest.Server, n int) error {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return srv.Wait(ctx, func() bool { return len(srv.CallsTo("getUpdates")) >= n })
}

// benchLedger is the ledger over the default campaign's counties.
func benchLedger() bigledger.Spec {
	var counties []string
	for _, co := range data.DefaultConfig().Campaign.Counties {
		counties = append(counties, co.Name)
	}
	return bigledger.Province(counties, time.Date(2027, 9, 18, 2, 0, 0, 0, time.UTC))
}

// bigBotConfig is the default config (reminders on) with the fake's URL,
// the ledger at dbPath and an admin on the roster.
func bigBotConfig(tb testing.TB, dir, apiURL, dbPath string) string {
	tb.Helper()
	text := fmt.Sprintf("[telegram]\napi_url = %q\n\n[database]\npath = %q\n\n[[roster]]\nuser_id = %d\nrole = \"admin\"\nname = \"凌晓波\"\n",
		apiURL, dbPath, benchAdmin)
	path := filepath.Join(dir, "tsbot.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

type bigBot struct {
	cmd    *exec.Cmd
	srv    *telegramtest.Server
	stderr *testkit.Buffer
}

// startBigBot starts the real binary on the big ledger, has it answer one
// update and leaves it idle in its long poll.
func startBigBot(b *testing.B) *bigBot {
	dir := b.TempDir()
	bin := buildBot(b, dir)
	srv := telegramtest.New(b)
	cfgPath := bigBotConfig(b, dir, srv.URL(), bigledger.Copy(b, benchLedger()))
	bb := &bigBot{srv: srv, stderr: &testkit.Buffer{}}
	bb.cmd = startBot(b, bin, cfgPath, bb.stderr)
	bb.send(b, "/status", "sendMessage")
	time.Sleep(2 * time.Second) // let start-up garbage be collected
	return bb
}

// send has the admin send text and waits for the answer by method.
func (bb *bigBot) send(b *testing.B, text, method string) {
	b.Helper()
	seen := len(bb.srv.CallsTo(method))
	from := models.User{ID: benchAdmin, FirstName: "凌"}
	bb.srv.SendText(from, telegramtest.PrivateChat(from), text)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := bb.srv.WaitCalls(ctx, method, seen+1); err != nil {
		kill9(bb.cmd)
		b.Fatalf("%s: %v\n%s", text, err, bb.stderr.String())
	}
}

// export asks for the city's spreadsheet, and lets the process settle:
// until its VmRSS has not changed for longer than ReturnMemory's period
// (5 s), at most 60 s.
func (bb *bigBot) export(b *testing.B) {
	bb.send(b, "/export", "sendDocument")
	last, since := bb.rss(b, "VmRSS"), time.Now()
	for end := time.Now().Add(60 * time.Second); time.Now().Before(end) && time.Since(since) < 7*time.Second; {
		time.Sleep(500 * time.Millisecond)
		if v := bb.rss(b, "VmRSS"); v != last {
			last, since = v, time.Now()
		}
	}
}

func (bb *bigBot) rss(b *testing.B, field string) float64 {
	return rssOf(b, bb.cmd.Process.Pid, field)
}

// rssOf reads one of the memory lines of /proc/<pid>/status, in MB.
func rssOf(b *testing.B, pid int, field string) float64 {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return float64(kb) / 1024
		}
	}
	b.Fatalf("no %s in /proc status", field)
	return 0
}
