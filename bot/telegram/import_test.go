package telegram_test

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"tsbot/bot/telegramtest"
	"tsbot/data"
)

// The whole round through Telegram: /template sends the form, the filled-in
// file comes back as a document the bot downloads (getFile, then the file
// URL), the preview has 确认导入, the press imports once, a second press
// and a redelivered press change nothing, and a file declared too big is
// refused without a download.
func TestTelegramImportRoundTrip(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	f.srv.SendText(alice, chat, "柯桥 辅导企业 +1 甲纺织有限公司")
	f.waitReply(t, chat.ID, 1)
	f.srv.SendText(alice, chat, "/template")
	calls, err := f.srv.WaitCalls(waitCtx(t), "sendDocument", 1)
	if err != nil {
		t.Fatal(err)
	}
	tpl, ok := calls[0].Files["document"]
	if !ok || calls[0].Status != http.StatusOK || !strings.HasPrefix(tpl.Name, "名单填报模板_柯桥_") {
		t.Fatalf("sendDocument call = %+v", calls[0])
	}
	filled := fillRow(t, tpl.Data, "专项辅导名单", 5, []any{"", "", "乙印染有限公司", "91310110666007217T", "", "", "赵六", "13900000000"})

	f.srv.SendDocument(alice, chat, telegramtest.Upload{Name: "柯桥名单.xlsx", Data: filled})
	preview := f.waitReply(t, chat.ID, 2)
	if !strings.HasPrefix(preview.Params["text"], "📋 导入核对：柯桥名单.xlsx\n1家新单位，0项信息变更，0行有错误") {
		t.Fatalf("preview = %q", preview.Params["text"])
	}
	if n := len(f.srv.CallsTo("getFile")); n != 1 {
		t.Errorf("%d getFile calls, want 1", n)
	}
	if dl := f.srv.CallsTo("downloadFile"); len(dl) != 1 || dl[0].Status != http.StatusOK {
		t.Errorf("downloads = %+v, want one served", dl)
	}
	bs := buttons(preview)
	if len(bs) != 1 || bs[0].Text != "✅ 确认导入" {
		t.Fatalf("preview buttons = %+v", bs)
	}
	// Both presses wait in Telegram's queue while the bot is down: the
	// second arrives after the first imported.
	f.stop()
	press, _ := f.srv.PressButton(alice, chat, preview.Message.ID, bs[0].CallbackData)
	f.srv.PressButton(alice, chat, preview.Message.ID, bs[0].CallbackData)
	f.start()
	done := f.waitReply(t, chat.ID, 3)
	if !strings.HasPrefix(done.Params["text"], "✅ 已导入 柯桥名单.xlsx\n1家新单位") {
		t.Errorf("after the press: %q", done.Params["text"])
	}
	if a := f.waitAlert(t, 1); !strings.Contains(a.Params["text"], "已经回答过") {
		t.Errorf("second press: alert %q", a.Params["text"])
	}
	f.srv.Redeliver(press)
	f.srv.SendDocument(alice, chat, telegramtest.Upload{Name: "大.xlsx", Data: filled, Declared: data.MaxImportBytes + 1})
	if r := f.waitReply(t, chat.ID, 4); r.Params["text"] != "文件超过5MB，未导入。请删去名单以外的内容（如图片），或分成几个文件再发。" {
		t.Errorf("oversize: %q", r.Params["text"])
	}
	if n := len(f.srv.CallsTo("getFile")); n != 1 {
		t.Errorf("%d getFile calls: the oversize file was fetched", n)
	}
	f.stop()
	if got := f.done_("柯桥", data.Tutoring); got != 2 {
		t.Errorf("柯桥 tutoring = %d, want 2", got)
	}
	names, err := f.store.Names(t.Context(), "柯桥")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[1].Name != "乙印染有限公司" {
		t.Errorf("names = %+v", names)
	}
	if n := len(f.sent(chat.ID)); n != 4 {
		t.Errorf("%d messages, want 4 (the redelivered press answers nothing): %v", n, texts(f.sent(chat.ID)))
	}
}

// fillRow writes cells into row n of a sheet of an xlsx.
func fillRow(t *testing.T, raw []byte, sheet string, n int, cells []any) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	cell, _ := excelize.CoordinatesToCellName(1, n)
	if err := x.SetSheetRow(sheet, cell, &cells); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A document whose message declares it small while the file is big: the
// size getFile gives is checked before the download, which does not start.
func TestTelegramImportDeclaredSmall(t *testing.T) {
	f := newFixture(t)
	f.start()
	chat := telegramtest.PrivateChat(alice)
	big := append([]byte("PK\x03\x04"), make([]byte, data.MaxImportBytes)...)
	f.srv.SendDocument(alice, chat, telegramtest.Upload{Name: "小.xlsx", Data: big, Declared: 1000})
	if r := f.waitReply(t, chat.ID, 1); r.Params["text"] != "文件超过5MB，未导入。请删去名单以外的内容（如图片），或分成几个文件再发。" {
		t.Errorf("reply %q", r.Params["text"])
	}
	if n := len(f.srv.CallsTo("getFile")); n != 1 {
		t.Errorf("%d getFile calls, want 1", n)
	}
	if n := len(f.srv.CallsTo("downloadFile")); n != 0 {
		t.Errorf("%d downloads, want none", n)
	}
	f.stop()
}
