package telegram_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tsbot/bot"
	"tsbot/bot/telegram"
	"tsbot/bot/telegramtest"
)

// startWebhook starts the adapter as a webhook and waits until it is set.
func (f *fixture) startWebhook(t *testing.T) {
	t.Helper()
	f.startIn(t, "webhook")
	if err := f.srv.Wait(waitCtx(t), func() bool { u, _ := f.srv.Webhook(); return u != "" }); err != nil {
		t.Fatal(err)
	}
}

// A client that sends half a header is cut off after the header timeout,
// instead of holding a connection for as long as it likes.
func TestTelegramWebhookSlowClientCutOff(t *testing.T) {
	f := newFixture(t)
	f.opts.Webhook = telegram.WebhookLimits{HeaderTimeout: 200 * time.Millisecond}
	f.startWebhook(t)
	conn, err := net.Dial("tcp", f.cfg.WebhookListen)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /tg/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty"); err != nil {
		t.Fatal(err)
	}
	// Far beyond the header timeout: if this deadline is what ends the
	// read, the server kept the connection.
	if err := conn.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("the server kept a half-sent header open: %v", err)
	}
}

// Beyond MaxConcurrent requests at once, a request waits QueueWait, then
// gets 503 (Telegram posts it again later); once a slot is free it is served.
func TestTelegramWebhookConcurrencyCapped(t *testing.T) {
	f := newFixture(t)
	f.opts.Webhook = telegram.WebhookLimits{MaxConcurrent: 1, QueueWait: 50 * time.Millisecond, ReadTimeout: 10 * time.Second}
	f.startWebhook(t)
	// The one slot is taken by a request whose body never finishes.
	slow, err := net.Dial("tcp", f.cfg.WebhookListen)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := io.WriteString(slow, "POST /tg/hook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"+
		"X-Telegram-Bot-Api-Secret-Token: "+f.cfg.WebhookSecret+"\r\nContent-Length: 100\r\n\r\n{\"update_id\":"); err != nil {
		t.Fatal(err)
	}
	// post sends a body that is no update: 400 when served, 503 when refused.
	post := func() int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.cfg.WebhookURL, strings.NewReader(`{"x":1}`))
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", f.cfg.WebhookSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	// The slow request may not have reached the handler yet: try a few times.
	got := 0
	for range 50 {
		if got = post(); got == http.StatusServiceUnavailable {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got != http.StatusServiceUnavailable {
		t.Fatalf("with the only slot taken: status %d, want 503", got)
	}
	slow.Close()
	for range 50 {
		if got = post(); got != http.StatusServiceUnavailable {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got != http.StatusBadRequest {
		t.Errorf("with the slot free again: status %d, want 400", got)
	}
	// And a real update goes through.
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +3")
	if r := f.waitReply(t, chat.ID, 1); !strings.HasPrefix(r.Params["text"], "✅ 已记录") {
		t.Errorf("reply = %q", r.Params["text"])
	}
}

// A webhook request that comes before the bot knows its name (Run has not
// asked getMe yet) used to hang the handler in stripMention, with the group
// message's mention searched for an empty name.
func TestTelegramWebhookBeforeBotKnowsItsName(t *testing.T) {
	f := newFixture(t)
	tg, err := telegram.New(f.cfg, bot.NewHandler(f.store, &f.campaign, f.log), f.log, f.opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.Sender().Close(context.Background())
	group := telegramtest.GroupChat(-4001, "柯桥工作群")
	f.srv.SendText(alice, group, "@"+telegramtest.BotUsername+" 柯桥 辅导企业 +3")
	// The fake is in polling mode: take the update's JSON from getUpdates.
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL()+"/bot"+telegramtest.Token+"/getUpdates", strings.NewReader(`{"offset":0,"limit":1,"timeout":0}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	update := strings.TrimSuffix(strings.TrimPrefix(string(body), `{"ok":true,"result":[`), "]}")

	done := make(chan int, 1)
	go func() {
		rec := httptest.NewRecorder()
		hook := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/tg/hook", strings.NewReader(update))
		tg.WebhookHandler().ServeHTTP(rec, hook)
		done <- rec.Code
	}()
	select {
	case code := <-done:
		if code != http.StatusOK {
			t.Errorf("status %d, want 200", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook handler did not return")
	}
}
