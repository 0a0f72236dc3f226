package dingtalk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/bot/dingtalktest"
	"tsbot/data"
)

// template has staff send /template as their n-th message in their private
// chat and returns the form the bot sent, as its sampleFile, and its name.
func (f *fixture) template(staff string, n int) ([]byte, string) {
	f.t.Helper()
	got := f.say(dingtalktest.Msg{Staff: staff, Text: "/template"}, n)
	if !strings.Contains(got, "名单填报模板") {
		f.t.Fatalf("/template reply: %q", got)
	}
	files := f.srv.WaitSent("/v1.0/robot/oToMessages/batchSend", 1, 10*time.Second)
	if len(files) != 1 || files[0].Body["msgKey"] != "sampleFile" {
		f.t.Fatalf("file messages: %v", files)
	}
	var param struct{ MediaID, FileName, FileType string }
	if err := json.Unmarshal([]byte(files[0].Body["msgParam"].(string)), &param); err != nil {
		f.t.Fatal(err)
	}
	raw, ok := f.srv.Media(param.MediaID)
	if !ok || param.FileType != "xlsx" {
		f.t.Fatalf("template %+v, uploaded %v", param, ok)
	}
	return raw, param.FileName
}

// fillRow writes cells into row n of a sheet of an xlsx.
func fillRow(t testing.TB, raw []byte, sheet string, n int, cells []any) []byte {
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

// newName is the row the tests fill in: a firm new to 柯桥's tutoring list.
var newName = []any{"", "", "乙印染有限公司", "91310110666007217T", "", "", "赵六", "13900000000"}

// filledTemplate: 张三 records a name by message (reply 1), gets the form
// (reply 2) and fills in a new name.
func (f *fixture) filledTemplate() []byte {
	f.t.Helper()
	f.say(dingtalktest.Msg{Staff: "zhang3", Text: "柯桥 辅导企业 +1 甲纺织有限公司"}, 1)
	tpl, name := f.template("zhang3", 2)
	if !strings.HasPrefix(name, "名单填报模板_柯桥_") {
		f.t.Errorf("template name %q", name)
	}
	return fillRow(f.t, tpl, "专项辅导名单", 5, newName)
}

func (f *fixture) pendingNone(staff string, n int) {
	f.t.Helper()
	if got := f.say(dingtalktest.Msg{Staff: staff, Text: "确认导入"}, n); !strings.Contains(got, "没有待确认的导入") {
		f.t.Errorf("确认导入 with nothing staged: %q", got)
	}
}

// TestImportRoundTrip: the whole round on DingTalk. /template comes out as
// a file, the filled-in form goes back as a file message the bot downloads
// (messageFiles/download, then its URL), the preview says what to type, the
// typed 确认导入 imports, and a second one changes nothing.
func TestImportRoundTrip(t *testing.T) {
	f := newFixture(t)
	filled := f.filledTemplate()

	preview := f.say(dingtalktest.Msg{Staff: "zhang3", File: "柯桥名单.xlsx", FileData: filled}, 3)
	for _, want := range []string{"导入核对：柯桥名单.xlsx", "1家新单位，0项信息变更，0行有错误", "辅导企业 +1家（总数1→2）", "回复：确认导入"} {
		if !strings.Contains(preview, want) {
			t.Errorf("preview %q lacks %q", preview, want)
		}
	}
	if strings.Contains(preview, "写错了") || strings.Count(preview, "回复：确认导入") != 1 {
		t.Errorf("preview %q: the words to type, once, and not as an undo", preview)
	}
	if c, g := f.srv.DownloadCalls(), f.srv.FileGets(); c != 1 || g != 1 {
		t.Errorf("%d download calls, %d file fetches; want 1 and 1", c, g)
	}
	if got := f.total("柯桥", data.Tutoring); got != 1 {
		t.Fatalf("the preview wrote: total %d, want 1", got)
	}

	done := f.say(dingtalktest.Msg{Staff: "zhang3", Text: "确认导入"}, 4)
	if !strings.Contains(done, "已导入 柯桥名单.xlsx") || !strings.Contains(done, "1家新单位") {
		t.Errorf("after 确认导入: %q", done)
	}
	if got := f.total("柯桥", data.Tutoring); got != 2 {
		t.Errorf("柯桥 tutoring = %d, want 2", got)
	}
	names, err := f.store.Names(context.Background(), "柯桥")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[1].Name != "乙印染有限公司" {
		t.Errorf("names = %+v", names)
	}
	again := f.say(dingtalktest.Msg{Staff: "zhang3", Text: "确认导入"}, 5)
	if strings.Contains(again, "已导入 柯桥名单.xlsx") {
		t.Errorf("a second 确认导入 imported again: %q", again)
	}
	if got := f.total("柯桥", data.Tutoring); got != 2 {
		t.Errorf("after a second 确认导入: total %d, want 2", got)
	}
	if strings.Contains(f.logs.String(), "tok-") {
		t.Error("an access token is in the log")
	}
}

// TestRedeliveredFileMessage: the same file message twice (the msgId
// repeated) is downloaded and previewed once, and imports once.
func TestRedeliveredFileMessage(t *testing.T) {
	f := newFixture(t)
	filled := f.filledTemplate()
	m := dingtalktest.Msg{Staff: "zhang3", File: "柯桥名单.xlsx", FileData: filled, MsgID: "msgFILE"}
	if got := f.say(m, 3); !strings.Contains(got, "1家新单位") {
		t.Fatalf("preview: %q", got)
	}
	if err := f.srv.Resend(m); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { return f.srv.Acks("msgFILE") == 2 }) {
		t.Fatal("the repeated frame was not acknowledged")
	}
	// The next reply is the import's: no second preview came between.
	if got := f.say(dingtalktest.Msg{Staff: "zhang3", Text: "确认导入"}, 4); !strings.Contains(got, "已导入 柯桥名单.xlsx") {
		t.Errorf("reply 4: %q, want the import", got)
	}
	if err := f.srv.Resend(m); err != nil {
		t.Fatal(err)
	}
	if !waitFor(func() bool { return f.srv.Acks("msgFILE") == 3 }) {
		t.Fatal("the third frame was not acknowledged")
	}
	f.say(dingtalktest.Msg{Staff: "zhang3", Text: "进度"}, 5)
	if n := len(f.srv.Sent("/session/")); n != 5 {
		t.Errorf("%d replies, want 5", n)
	}
	if c := f.srv.DownloadCalls(); c != 1 {
		t.Errorf("%d download calls, want 1", c)
	}
	if got := f.total("柯桥", data.Tutoring); got != 2 {
		t.Errorf("柯桥 tutoring = %d, want 2", got)
	}
	rs, _ := f.store.Receipts(context.Background())
	n := 0
	for _, r := range rs {
		if r.Key == "dingtalk:msgFILE" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d receipts of the file message, want 1", n)
	}
}

// TestOversizeFileRefused: DingTalk declares no size, so the download is
// capped at the import limit: a file over it, with or without a
// Content-Length, is refused as on Telegram, is not read to its end, and
// nothing is staged.
func TestOversizeFileRefused(t *testing.T) {
	tests := []struct {
		name    string
		unsized bool
	}{
		{name: "Content-Length", unsized: false},
		{name: "chunked", unsized: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			const size = 8 * data.MaxImportBytes
			got := f.say(dingtalktest.Msg{Staff: "zhang3", File: "大.xlsx", FileData: []byte("PK\x03\x04"),
				FileSize: size, FileUnsized: tt.unsized}, 1)
			if !strings.HasPrefix(got, "文件超过5MB，未导入。") {
				t.Errorf("reply %q", got)
			}
			if c, g := f.srv.DownloadCalls(), f.srv.FileGets(); c != 1 || g != 1 {
				t.Errorf("%d download calls, %d fetches; want 1 and 1", c, g)
			}
			// What loopback buffers took aside, the bot stopped reading.
			if n, ok := f.srv.FileBytesServed(10 * time.Second); !ok || n >= size {
				t.Errorf("%d of %d bytes served (ended: %v): the download was not cut off", n, size, ok)
			}
			f.pendingNone("zhang3", 2)
		})
	}
}

// TestDownloadFailure: when the robot API does not give the file, the
// sender is told to send it again later, and nothing is staged or written;
// the same file sent again then previews.
func TestDownloadFailure(t *testing.T) {
	tests := []struct {
		name   string
		status int
		code   string
	}{
		{name: "server error", status: 500, code: "ServiceUnavailable"},
		{name: "quota", status: 403, code: "90020"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			filled := f.filledTemplate()
			f.srv.FailDownloads(tt.status, tt.code, 1)
			got := f.say(dingtalktest.Msg{Staff: "zhang3", File: "柯桥名单.xlsx", FileData: filled}, 3)
			if !strings.Contains(got, "文件没能下载，未导入") || !strings.Contains(got, "请稍后重新发送") {
				t.Errorf("reply %q", got)
			}
			if g := f.srv.FileGets(); g != 0 {
				t.Errorf("%d file fetches after a failed download call", g)
			}
			f.pendingNone("zhang3", 4)
			if got := f.total("柯桥", data.Tutoring); got != 1 {
				t.Errorf("total %d, want 1", got)
			}
			logs := f.logs.String()
			if !strings.Contains(logs, "file download failed") || !strings.Contains(logs, tt.code) {
				t.Errorf("the failure is not logged with its code: %s", logs)
			}
			if strings.Contains(logs, "tok-") {
				t.Error("an access token is in the log")
			}
			if got := f.say(dingtalktest.Msg{Staff: "zhang3", File: "柯桥名单.xlsx", FileData: filled}, 5); !strings.Contains(got, "1家新单位") {
				t.Errorf("sent again: %q", got)
			}
		})
	}
}

// TestDownloadOnlyWhereTheAPISaid: the bot fetches the URL the robot API
// gave, and nothing else: a plain-http URL off the api_url's host is not
// fetched, and a redirect is not followed. Either way the sender is told
// the file was not downloaded, and nothing is staged.
func TestDownloadOnlyWhereTheAPISaid(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fixture, elsewhere string)
		gets  int // fetches of the fake's own download URL
	}{
		{name: "http elsewhere", setup: func(f *fixture, e string) { f.srv.FileURLBase(e) }, gets: 0},
		{name: "redirect", setup: func(f *fixture, e string) { f.srv.RedirectFiles(e) }, gets: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int64
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Write([]byte("PK not the file"))
			}))
			defer other.Close()
			f := newFixture(t)
			tt.setup(f, other.URL)
			got := f.say(dingtalktest.Msg{Staff: "zhang3", File: "柯桥名单.xlsx", FileData: []byte("PK")}, 1)
			if !strings.Contains(got, "文件没能下载，未导入") {
				t.Errorf("reply %q", got)
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("the other server was fetched %d times", n)
			}
			if g := f.srv.FileGets(); g != tt.gets {
				t.Errorf("%d fetches of the fake's URL, want %d", g, tt.gets)
			}
			f.pendingNone("zhang3", 2)
		})
	}
}
