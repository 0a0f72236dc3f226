package main

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

// buildBot builds the real binary into dir.
func buildBot(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "tsbot")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var crashUsers = []struct {
	id     int64
	county string
}{{3001, "越城"}, {3002, "柯桥"}, {3003, "上虞"}, {3004, "诸暨"}, {3005, "新昌"}, {3006, "嵊州"}}

// writeBotConfig writes a config pointing the bot at the fake server, with a
// SQLite file in dir and the crash test's users on the roster.
func writeBotConfig(t *testing.T, dir, apiURL string) (cfgPath, dbPath string) {
	t.Helper()
	dbPath = filepath.Join(dir, "tsbot.db")
	var b strings.Builder
	fmt.Fprintf(&b, "[telegram]\napi_url = %q\n\n[database]\npath = %q\n\n[reminders]\nenabled = false\n", apiURL, dbPath)
	for _, u := range crashUsers {
		fmt.Fprintf(&b, "\n[[roster]]\nuser_id = %d\nrole = \"county\"\ncounty = %q\n", u.id, u.county)
	}
	cfgPath = filepath.Join(dir, "tsbot.toml")
	if err := os.WriteFile(cfgPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return cfgPath, dbPath
}

// lockedBuffer is the children's stderr, shared by several processes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startBot(t *testing.T, bin, cfgPath string, stderr *lockedBuffer) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(bin, "run", "-config", cfgPath)
	cmd.Env = append(os.Environ(), "TELEGRAM_BOT_TOKEN="+telegramtest.Token, "TSBOT_CONFIG=")
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

func kill9(cmd *exec.Cmd) {
	_ = cmd.Process.Signal(syscall.SIGKILL)
	_ = cmd.Wait()
}

// TestCrashExactlyOnce streams updates to the real binary and kills it with
// SIGKILL at random moments: in the end every update is recorded exactly
// once.
func TestCrashExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBot(t, dir)
	srv := telegramtest.NewServer()
	defer srv.Close()
	cfgPath, dbPath := writeBotConfig(t, dir, srv.URL())

	const total = 600
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	want := map[string]int{}
	var ids []int64
	var idsMu sync.Mutex
	injected := make(chan struct{})
	go func() {
		defer close(injected)
		for i := range total {
			u := crashUsers[i%len(crashUsers)]
			n := i%5 + 1
			from := models.User{ID: u.id, FirstName: "U" + strconv.Itoa(int(u.id))}
			text := fmt.Sprintf("辅导企业 +%d", n)
			if i%7 == 0 {
				text = fmt.Sprintf("%s 辅导企业 加%d家", u.county, n)
			}
			id, _ := srv.SendText(from, telegramtest.PrivateChat(from), text)
			idsMu.Lock()
			ids = append(ids, id)
			want[u.county] += n
			idsMu.Unlock()
			if i%20 == 19 {
				time.Sleep(time.Duration(i%60) * time.Millisecond)
			}
		}
	}()

	stderr := &lockedBuffer{}
	kills := 0
	deadline := time.Now().Add(40 * time.Second)
	for {
		cmd := startBot(t, bin, cfgPath, stderr)
		select {
		case <-injected:
			injected = nil // a nil channel: from here the loop kills until the kill quota is met
		default:
		}
		if injected == nil && kills >= 8 {
			// Let the last run finish the queue.
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			err := srv.WaitPending(ctx, 0)
			cancel()
			kill9(cmd)
			if err != nil {
				t.Fatalf("updates left unconfirmed: %d", srv.Pending())
			}
			break
		}
		time.Sleep(time.Duration(150+rng.IntN(600)) * time.Millisecond)
		kill9(cmd)
		kills++
		if time.Now().After(deadline) {
			t.Fatal("crash loop took too long")
		}
	}
	t.Logf("%d updates, %d kills, offset %d", len(ids), kills, srv.Offset())

	store, err := data.Open(data.DatabaseConfig{Driver: "sqlite", Path: dbPath}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	tot, err := store.Totals(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range crashUsers {
		if got := tot[u.county][data.Tutoring]; got != want[u.county] {
			t.Errorf("%s tutoring = %d, want %d", u.county, got, want[u.county])
		}
	}

	db, err := gorm.Open(sqlite.Open(dbPath), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		defer sqlDB.Close()
	}
	var rows []struct {
		UpdateID int64
		N        int
	}
	if err := db.Raw("SELECT update_id, COUNT(*) AS n FROM batches WHERE update_id IS NOT NULL GROUP BY update_id").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	batches := map[int64]int{}
	for _, r := range rows {
		batches[r.UpdateID] = r.N
	}
	for _, id := range ids {
		if batches[id] != 1 {
			t.Errorf("update %d has %d batches, want 1", id, batches[id])
		}
	}
	if len(batches) != len(ids) {
		t.Errorf("%d batches with an update id, want %d", len(batches), len(ids))
	}
	if strings.Contains(stderr.String(), telegramtest.Token) {
		t.Error("the token appears in the bot's log")
	}
}

// TestIdleMemory starts the binary against the fake, waits until it is idle
// in its long poll, and reads its resident memory.
func TestIdleMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := buildBot(t, dir)
	srv := telegramtest.New(t)
	cfgPath, _ := writeBotConfig(t, dir, srv.URL())
	stderr := &lockedBuffer{}
	cmd := startBot(t, bin, cfgPath, stderr)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	from := models.User{ID: crashUsers[0].id, FirstName: "U"}
	srv.SendText(from, telegramtest.PrivateChat(from), "辅导企业 +1")
	if _, err := srv.WaitCalls(ctx, "sendMessage", 1); err != nil {
		kill9(cmd)
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	time.Sleep(2 * time.Second)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		kill9(cmd)
		t.Skipf("no /proc: %v", err)
	}
	var rssKB int
	for _, line := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			rssKB, _ = strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	// A graceful stop, as systemd would do it.
	_ = cmd.Process.Signal(syscall.SIGTERM)
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		kill9(cmd)
		t.Error("no exit within 15s of SIGTERM")
	}
	t.Logf("idle VmRSS: %.1f MB", float64(rssKB)/1024)
	if rssKB == 0 || rssKB > 40*1024 {
		t.Errorf("idle VmRSS = %d kB, want < 40 MB", rssKB)
	}
	if strings.Contains(stderr.String(), telegramtest.Token) {
		t.Error("the token appears in the bot's log")
	}
}
