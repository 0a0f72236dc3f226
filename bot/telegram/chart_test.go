package telegram_test

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"tsbot/bot/telegramtest"
	"tsbot/data/chart"
)

// /chart through Telegram: the picture arrives as a sendPhoto, with the
// reply as its caption and no message after it, and it decodes as the PNG
// of the six counties.
func TestTelegramChartSendsPhoto(t *testing.T) {
	if _, err := chart.LoadFont(""); errors.Is(err, chart.ErrNoFont) {
		t.Skipf("no CJK font installed (apt-get install %s): %v", chart.FontPackage, err)
	}
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "/chart")
	calls, err := f.srv.WaitCalls(waitCtx(t), "sendPhoto", 1)
	if err != nil {
		t.Fatal(err)
	}
	photo, ok := calls[0].Files["photo"]
	if !ok || calls[0].Status != http.StatusOK {
		t.Fatalf("sendPhoto call = %+v", calls[0])
	}
	if c := calls[0].Params["caption"]; !strings.HasPrefix(c, "📊 各区县进度图") {
		t.Errorf("caption = %q, want 📊 各区县进度图…", c)
	}
	if n := len(f.srv.CallsTo("sendDocument")); n != 0 {
		t.Errorf("%d sendDocument calls: the chart is a photo", n)
	}
	img, err := png.Decode(bytes.NewReader(photo.Data))
	if err != nil {
		t.Fatalf("the photo is not a PNG: %v", err)
	}
	if got, want := img.Bounds().Size(), image.Pt(chart.Width, chart.Height(6)); got != want {
		t.Errorf("photo %v, want %v (six counties)", got, want)
	}
	m, ok := f.srv.Message(chat.ID, calls[0].Message.ID)
	if !ok || len(m.Photo) != 1 || m.Photo[0].Width != chart.Width {
		t.Errorf("the chat holds %+v, want the photo", m.Photo)
	}
	f.srv.SendText(alice, chat, "/whoami")
	if r := f.waitReply(t, chat.ID, 1); !strings.HasPrefix(r.Params["text"], "用户ID") {
		t.Errorf("after the photo, a message %q", r.Params["text"])
	}
}

// A photo whose upload fails is sent again from the outbox, marked 补发,
// once: the photo is a part like a document.
func TestTelegramChartPhotoRetried(t *testing.T) {
	if _, err := chart.LoadFont(""); errors.Is(err, chart.ErrNoFont) {
		t.Skipf("no CJK font installed (apt-get install %s): %v", chart.FontPackage, err)
	}
	f := newFixture(t)
	f.opts.Limits.Attempts = 1
	f.opts.OutboxBackoff = 20 * time.Millisecond
	f.opts.OutboxEvery = 20 * time.Millisecond
	f.srv.FailNext("sendPhoto", telegramtest.InternalError())
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "/chart")
	calls, err := f.srv.WaitCalls(waitCtx(t), "sendPhoto", 2)
	if err != nil {
		t.Fatal(err)
	}
	f.srv.SendText(alice, chat, "/whoami")
	f.waitReply(t, chat.ID, 1)
	f.stop()
	calls = f.srv.CallsTo("sendPhoto")
	ok := 0
	for _, c := range calls {
		if c.Status == http.StatusOK {
			ok++
			if !strings.HasPrefix(c.Params["caption"], "（补发）📊") {
				t.Errorf("resent caption %q, want it marked 补发", c.Params["caption"])
			}
		}
	}
	if len(calls) != 2 || ok != 1 {
		t.Errorf("%d sendPhoto calls, %d sent; want the failed one and one more", len(calls), ok)
	}
	for _, s := range f.sent(chat.ID) {
		if strings.Contains(s.Params["text"], "进度图") {
			t.Errorf("the caption came as a message too: %q", s.Params["text"])
		}
	}
}
