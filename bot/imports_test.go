package bot

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

// sendFile has user send a document, and logs the exchange.
func (f *fixture) sendFile(user int64, name string, raw []byte) Reply {
	f.t.Helper()
	f.nextID++
	m := Message{UserID: user, ChatID: user, UserName: names[user], MessageID: f.nextID, UpdateID: f.nextID,
		File: &File{Name: name, Size: int64(len(raw)), Fetch: fetchOf(raw)}}
	r := f.h.Handle(context.Background(), m)
	f.record(fmt.Sprintf("%s: 📎 %s", names[user], name), r)
	return r
}

func fetchOf(raw []byte) func(context.Context, int64) ([]byte, error) {
	return func(_ context.Context, limit int64) ([]byte, error) {
		if int64(len(raw)) > limit {
			return nil, ErrFileTooLarge
		}
		return raw, nil
	}
}

// fillIn opens a template the bot sent, writes rows into a sheet below its
// last filled row, and returns the file.
func fillIn(t *testing.T, template []byte, sheet string, rows ...[]any) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(template))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	all, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	next := 4 // below the heading
	for i, r := range all {
		if i >= 3 && len(r) > 2 && r[2] != "" {
			next = i + 2
		}
	}
	for i, r := range rows {
		cellName, _ := excelize.CoordinatesToCellName(2, next+i) // after the 序号 the template wrote
		if err := x.SetSheetRow(sheet, cellName, &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// importFixture is 柯桥 with one named tutored enterprise and two unnamed,
// and a firm on 嵊州's list; it returns 张三's template.
func importFixture(t *testing.T) (*fixture, []byte) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +1 甲纺织有限公司")
	f.say(keqiao, "辅导企业 +2")
	f.say(admin, "嵊州 辅导企业 +1 乙领带有限公司")
	r := f.say(keqiao, "/template")
	if r.Document == nil {
		t.Fatalf("no template: %s", r.Text)
	}
	return f, r.Document.Data
}

// The golden session: a template, a file with errors (bad credit codes, a
// duplicate, another county, a near name), an unchanged file, a file that
// is no spreadsheet, then a good file previewed, confirmed once, and undone.
func TestImportSession(t *testing.T) {
	f, tpl := importFixture(t)
	bad := fillIn(t, tpl, "专项辅导名单",
		[]any{"", "丙印染有限公司", "91310110666007218T", "", "", "赵六", "13900000000", "9月12日", "上门辅导"},
		[]any{"", "丁机械有限公司", "", "", "", "", "1234"},
		[]any{"越城", "戊电器有限公司"},
		[]any{"", "丙印染 有限公司"},
		[]any{"", "甲纺织公司"},
		[]any{"", "乙领带有限公司"},
		[]any{"", "乙领带有限公司"},
		[]any{"", "丙印染有限公司"},
	)
	f.sendFile(keqiao, "柯桥名单.xlsx", bad)
	f.sendFile(keqiao, "柯桥名单.xlsx", tpl)
	f.sendFile(keqiao, "照片.jpg", []byte("\xff\xd8\xff\xe0 not a sheet"))
	f.sendFile(keqiao, "空表.xlsx", headingOnly(t, nil))
	f.sendFile(keqiao, "空白.xlsx", blankBook(t))
	f.sendFile(keqiao, "公式.xlsx", headingOnly(t, func(x *excelize.File) {
		x.SetCellStr("专项辅导名单", "C2", "丙印染有限公司")
		x.SetCellFormula("专项辅导名单", "H2", "=1+1")
	}))
	good := fillIn(t, tpl, "专项辅导名单",
		[]any{"", "丙印染有限公司", "91310110666007217T", "", "", "赵六", "13900000000", "9月12日", "上门辅导"},
		[]any{"柯桥", "丁机械有限公司"},
		[]any{"", "戊电器有限公司"},
	)
	good = fillIn(t, good, "培育名单", []any{"", "华舍商业秘密保护示范点", "", "市县级示范站"})
	good = setCell(t, good, "专项辅导名单", "G4", "王五") // 甲纺织有限公司's 联系人
	preview := f.sendFile(keqiao, "柯桥名单.xlsx", good)
	if len(preview.Buttons) != 1 {
		t.Fatalf("no 确认导入: %+v", preview)
	}
	before := f.totals()["柯桥"]
	done := f.press(keqiao, preview, 0)
	f.press(keqiao, preview, 0)
	f.say(keqiao, "确认导入")
	after := f.totals()["柯桥"]
	if after[data.Tutoring] != before[data.Tutoring]+1 || after[data.CityStation] != before[data.CityStation]+1 {
		t.Errorf("totals %v → %v, want one more tutored (two named in place of unnamed) and one more station", before, after)
	}
	if got := strings.Join(f.names("柯桥", data.Tutoring), "、"); got != "甲纺织有限公司、丙印染有限公司、丁机械有限公司、戊电器有限公司" {
		t.Errorf("tutoring list = %s", got)
	}
	d, err := f.store.Details(context.Background(), "柯桥")
	if err != nil {
		t.Fatal(err)
	}
	if got := d[data.Unit{County: "柯桥", Norm: data.NormalizeName("丙印染有限公司")}]; got.Get(data.DetailCreditCode) != "91310110666007217T" ||
		got.Get(data.DetailPhone) != "13900000000" || got.Get(data.DetailDate) != "2027-09-12" || got.Get(data.DetailMethod) != "上门辅导" {
		t.Errorf("丙印染有限公司's details = %+v", got.Values)
	}
	if len(done.Buttons) != 1 || !strings.HasPrefix(done.Buttons[0].Data, "u:") {
		t.Fatalf("no undo under the import: %+v", done)
	}
	f.say(keqiao, "/undo")
	if got := f.totals()["柯桥"]; got != before {
		t.Errorf("after /undo totals %v, want %v", got, before)
	}
	if got := strings.Join(f.names("柯桥", data.Tutoring), "、"); got != "甲纺织有限公司" {
		t.Errorf("after /undo the list = %s", got)
	}
	d, err = f.store.Details(context.Background(), "柯桥")
	if err != nil {
		t.Fatal(err)
	}
	if got := d[data.Unit{County: "柯桥", Norm: data.NormalizeName("甲纺织有限公司")}].Get(data.DetailContact); got != "" {
		t.Errorf("after /undo 甲纺织有限公司's contact = %q, want none again", got)
	}
	f.golden("import")
}

// What is confirmed is what the preview showed; the lists changing in
// between makes the press show the new preview instead of importing.
func TestImportStaleConfirm(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"}, []any{"", "丁机械有限公司"})
	preview := f.sendFile(keqiao, "柯桥名单.xlsx", file)
	f.say(keqiao2, "辅导企业 +1 丙印染有限公司")
	again := f.press(keqiao, preview, 0)
	if !strings.Contains(again.Text, "名单在预览后有变动") || len(again.Buttons) != 1 {
		t.Fatalf("stale press: %+v", again)
	}
	if got := f.names("柯桥", data.Tutoring); len(got) != 2 {
		t.Errorf("the stale press wrote: %v", got)
	}
	if r := f.press(keqiao, preview, 0); !strings.Contains(r.Text, "已经回答过或已失效") {
		t.Errorf("the old button still works: %+v", r)
	}
	f.press(keqiao, again, 0)
	if got := strings.Join(f.names("柯桥", data.Tutoring), "、"); got != "甲纺织有限公司、丙印染有限公司、丁机械有限公司" {
		t.Errorf("list after the new preview = %s", got)
	}
}

// Who may import what.
func TestImportWho(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"})
	if r := f.sendFile(viewer, "a.xlsx", file); !strings.Contains(r.Text, "只读") {
		t.Errorf("viewer: %q", r.Text)
	}
	if r := f.sendFile(stranger, "a.xlsx", file); !strings.Contains(r.Text, "还没有登记") {
		t.Errorf("stranger: %q", r.Text)
	}
	// The admin's file names its counties; the city template has them all.
	if r := f.sendFile(admin, "a.xlsx", file); !strings.Contains(r.Text, "第5行 缺区县") {
		t.Errorf("admin, no county: %q", r.Text)
	}
	preview := f.sendFile(keqiao, "a.xlsx", file)
	// Someone else pressing in the same chat (a group, say).
	r := f.h.HandlePress(context.Background(), Press{UpdateID: 9000, UserID: keqiao2, ChatID: keqiao, Data: preview.Buttons[0].Data})
	if !r.Alert || !strings.Contains(r.Text, "只有发送文件的人") {
		t.Errorf("someone else's press: %+v", r)
	}
	if r := f.say(keqiao, "/template 越城"); !strings.Contains(r.Text, "只能导入柯桥") {
		t.Errorf("another county's template: %q", r.Text)
	}
	if r := f.say(admin, "/template"); r.Document == nil || !strings.Contains(r.Text, "全市") {
		t.Errorf("the city's template: %+v", r.Text)
	}
	big := &File{Name: "big.xlsx", Size: data.MaxImportBytes + 1, Fetch: func(context.Context, int64) ([]byte, error) {
		t.Error("an oversize file was downloaded")
		return nil, nil
	}}
	if r := f.send(Message{UserID: keqiao, ChatID: keqiao, File: big}); r.Text != msgImportTooBig {
		t.Errorf("oversize: %q", r.Text)
	}
}

// A document delivered twice stages one preview and answers once.
func TestImportRedelivered(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"})
	m := Message{Channel: "telegram", UpdateID: 777, UserID: keqiao, ChatID: keqiao, MessageID: 50,
		File: &File{Name: "a.xlsx", Size: int64(len(file)), Fetch: fetchOf(file)}}
	first := f.h.Handle(context.Background(), m)
	second := f.h.Handle(context.Background(), m)
	if !first.Stored || len(first.Buttons) != 1 || !second.Stored || second.Text != "" {
		t.Fatalf("first %+v, second %+v", first, second)
	}
	cs, err := f.store.OpenChoices(context.Background(), keqiao, keqiao)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Errorf("%d open questions, want 1", len(cs))
	}
}

// A newer file supersedes the preview of an older one, even a file that
// cannot be imported: the old button and a typed 确认导入 import nothing.
func TestImportNewerFileSupersedes(t *testing.T) {
	f, tpl := importFixture(t)
	first := f.sendFile(keqiao, "a.xlsx", fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"}))
	if len(first.Buttons) != 1 {
		t.Fatalf("first preview %+v", first)
	}
	f.sendFile(keqiao, "b.xlsx", fillIn(t, tpl, "专项辅导名单", []any{"", "丁机械有限公司", "", "", "", "", "1234"}))
	if r := f.say(keqiao, "确认导入"); r.Text != msgImportNone {
		t.Errorf("typed: %q", r.Text)
	}
	if r := f.press(keqiao, first, 0); !strings.Contains(r.Text, "已经回答过或已失效") {
		t.Errorf("old button: %q", r.Text)
	}
	if got := f.names("柯桥", data.Tutoring); len(got) != 1 {
		t.Errorf("list = %v, want only 甲纺织有限公司", got)
	}
}

// headingOnly is an xlsx with the 专项辅导名单 heading and no rows.
func headingOnly(t *testing.T, edit func(*excelize.File)) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	x.SetSheetName("Sheet1", "专项辅导名单")
	head := []any{"序号", "区县", "单位名称", "统一社会信用代码", "类型/级别", "地址", "联系人", "联系电话", "辅导日期", "辅导方式", "备注"}
	if err := x.SetSheetRow("专项辅导名单", "A1", &head); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(x)
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// blankBook is a new, empty workbook.
func blankBook(t *testing.T) []byte {
	t.Helper()
	x := excelize.NewFile()
	defer x.Close()
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setCell sets one cell of a sheet of an xlsx.
func setCell(t *testing.T, raw []byte, sheet, cell, v string) []byte {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if err := x.SetCellStr(sheet, cell, v); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A preview is confirmed within data.ImportTTL; later the file is sent again.
func TestImportExpired(t *testing.T) {
	f, tpl := importFixture(t)
	preview := f.sendFile(keqiao, "a.xlsx", fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"}))
	f.at(fixedNow.Add(data.ImportTTL + time.Minute))
	if r := f.press(keqiao, preview, 0); r.Text != msgImportExpired {
		t.Errorf("late press: %q", r.Text)
	}
	if got := f.names("柯桥", data.Tutoring); len(got) != 1 {
		t.Errorf("list = %v", got)
	}
}

func TestFileLabel(t *testing.T) {
	if got := fileLabel("名单\u202Exslx.exe"); got != "名单?xslx.exe" {
		t.Errorf("fileLabel = %q", got)
	}
}

// Lists that are closed take no import from staff; the admin's is late.
func TestImportClosedLists(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"柯桥", "丙印染有限公司"})
	f.signOff(keqiao)
	if r := f.sendFile(keqiao2, "a.xlsx", file); !strings.HasPrefix(r.Text, "未导入：柯桥的名单已于") || len(r.Buttons) != 0 {
		t.Errorf("staff after the sign-off: %+v", r)
	}
	preview := f.sendFile(admin, "a.xlsx", file)
	if len(preview.Buttons) != 1 {
		t.Fatalf("admin preview: %+v", preview)
	}
	if r := f.press(admin, preview, 0); !strings.Contains(r.Text, "标为逾期") {
		t.Errorf("admin's import: %q", r.Text)
	}
	if got := f.names("柯桥", data.Tutoring); len(got) != 2 {
		t.Errorf("list = %v", got)
	}
}

// The import undone after later messages: a name someone took off and put
// back since is theirs now, and stays on the list.
func TestImportUndoAfterLaterEntries(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"}, []any{"", "丁机械有限公司"}, []any{"", "戊电器有限公司"})
	done := f.press(keqiao, f.sendFile(keqiao, "a.xlsx", file), 0)
	f.say(keqiao2, "辅导企业 -1 丙印染有限公司")
	f.say(keqiao2, "辅导企业 +1 丙印染有限公司")
	if r := f.press(keqiao, done, 0); !strings.Contains(r.Text, "已撤销") {
		t.Fatalf("undo: %q", r.Text)
	}
	if got := strings.Join(f.names("柯桥", data.Tutoring), "、"); got != "甲纺织有限公司、丙印染有限公司" {
		t.Errorf("list = %s, want 李四's 丙印染有限公司 still on it", got)
	}
	if got := f.totals()["柯桥"][data.Tutoring]; got != 3 {
		t.Errorf("total = %d, want 3 as before the import", got)
	}
	// 李四's own undo then takes it off.
	f.say(keqiao2, "/undo")
	if got := strings.Join(f.names("柯桥", data.Tutoring), "、"); got != "甲纺织有限公司" {
		t.Errorf("after 李四's undo the list = %s", got)
	}
}

// Spreadsheets shared in a group among colleagues, not sent to the bot: a
// stranger's, a leader's (read only), one that is no 名单, one too big,
// get no reply there; a 名单 of staff gets its preview, and a file that
// mentions the bot is answered as in a private chat.
func TestImportInGroup(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"})
	inGroup := func(user int64, name string, raw []byte, addressed bool) Reply {
		return f.send(Message{UserID: user, ChatID: group, Group: true, Addressed: addressed,
			File: &File{Name: name, Size: int64(len(raw)), Fetch: fetchOf(raw)}})
	}
	tests := []struct {
		name      string
		user      int64
		file      string
		raw       []byte
		addressed bool
		want      string // a part of the reply; "" none
	}{
		{name: "a stranger's", user: stranger, file: "名单.xlsx", raw: file},
		{name: "a leader's", user: viewer, file: "名单.xlsx", raw: file},
		{name: "no 名单", user: keqiao, file: "会议通知.xlsx", raw: blankBook(t)},
		{name: "no spreadsheet", user: keqiao, file: "通知.xlsx", raw: []byte("PK\x03\x04 not a zip")},
		{name: "too big", user: keqiao, file: "照片集.xlsx", raw: make([]byte, data.MaxImportBytes+1)},
		{name: "no 名单, to the bot", user: keqiao, file: "会议通知.xlsx", raw: blankBook(t), addressed: true, want: "没有找到名单的表头"},
		{name: "a leader's, to the bot", user: viewer, file: "名单.xlsx", raw: file, addressed: true, want: "只读"},
		{name: "a 名单 of staff", user: keqiao, file: "名单.xlsx", raw: file, want: "📋 导入核对"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := inGroup(tc.user, tc.file, tc.raw, tc.addressed)
			if tc.want == "" && (r.Text != "" || len(r.Buttons) != 0) {
				t.Errorf("replied in the group: %q", r.Text)
			}
			if tc.want != "" && !strings.Contains(r.Text, tc.want) {
				t.Errorf("reply %q, want one containing %q", r.Text, tc.want)
			}
		})
	}
}

// A file of many firms that another county lists too: the preview names a
// few and counts the rest, as it does the error rows, and stays one message.
func TestImportPreviewElsewhereCapped(t *testing.T) {
	f, tpl := importFixture(t)
	var names []string
	var rows [][]any
	for i := range 30 {
		n := fmt.Sprintf("嵊州第%d领带有限公司", i+1)
		names = append(names, n)
		rows = append(rows, []any{"", n})
	}
	f.say(admin, fmt.Sprintf("嵊州 辅导企业 +%d %s", len(names), strings.Join(names, "、")))
	r := f.sendFile(keqiao, "a.xlsx", fillIn(t, tpl, "专项辅导名单", rows...))
	if n := strings.Count(r.Text, "也在嵊州名单上"); n > importElsewhereShown {
		t.Errorf("%d firms named as on 嵊州's list, want at most %d:\n%s", n, importElsewhereShown, r.Text)
	}
	if !strings.Contains(r.Text, fmt.Sprintf("……等%d家也在其他区县名单上", 30)) {
		t.Errorf("no count of the rest:\n%s", r.Text)
	}
	if len(r.Buttons) != 1 {
		t.Errorf("no 确认导入: %+v", r)
	}
}

// Telegram lets a sender replace the file of a message they sent (an
// edit): the new file is read as a newer one, superseding the preview of
// the old.
func TestImportEditedFile(t *testing.T) {
	f, tpl := importFixture(t)
	first := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"})
	second := fillIn(t, tpl, "专项辅导名单", []any{"", "丁机械有限公司"})
	m := Message{UserID: keqiao, ChatID: keqiao, MessageID: 60, UpdateID: 800, File: &File{Name: "a.xlsx", Size: int64(len(first)), Fetch: fetchOf(first)}}
	old := f.h.Handle(context.Background(), m)
	m.UpdateID, m.Edited, m.File = 801, true, &File{Name: "b.xlsx", Size: int64(len(second)), Fetch: fetchOf(second)}
	r := f.h.Handle(context.Background(), m)
	if !strings.HasPrefix(r.Text, "📋 导入核对：b.xlsx") || len(r.Buttons) != 1 {
		t.Fatalf("the replaced file: %+v", r)
	}
	if got := f.press(keqiao, old, 0); !strings.Contains(got.Text, "已经回答过或已失效") {
		t.Errorf("the old file's button: %q", got.Text)
	}
	f.press(keqiao, r, 0)
	if got := strings.Join(f.names("柯桥", data.Tutoring), "、"); got != "甲纺织有限公司、丁机械有限公司" {
		t.Errorf("list = %s", got)
	}
}

// In a group, the sender of a previewed file types 确认导入 as the preview
// says, without mentioning the bot: it imports. Someone else typing it, who
// has no preview there, gets no reply.
func TestImportTypedInGroup(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"})
	preview := f.send(Message{UserID: keqiao, ChatID: group, Group: true, File: &File{Name: "a.xlsx", Size: int64(len(file)), Fetch: fetchOf(file)}})
	if len(preview.Buttons) != 1 {
		t.Fatalf("preview %+v", preview)
	}
	if r := f.sayInGroup(keqiao2, "确认导入"); r.Text != "" {
		t.Errorf("someone else's 确认导入: %q", r.Text)
	}
	if r := f.sayInGroup(keqiao, "确认导入"); !strings.HasPrefix(r.Text, "✅ 已导入 a.xlsx") {
		t.Errorf("the sender's 确认导入: %q", r.Text)
	}
	if got := f.names("柯桥", data.Tutoring); len(got) != 2 {
		t.Errorf("list = %v", got)
	}
}

// What the file says that a preview quotes (a sheet's name, a county cell)
// cannot break the preview into lines of its own or turn its text around.
func TestImportPreviewQuotesSafely(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"火星\n✅ 已导入", "丙印染有限公司"})
	x, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if err := x.SetSheetName("培育名单", "培育名单\u202e单名"); err != nil {
		t.Fatal(err)
	}
	x.SetSheetRow("培育名单\u202e单名", "B4", &[]any{"", "华舍示范点", "", "省级示范"})
	var buf bytes.Buffer
	if _, err := x.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	x.Close()
	r := f.sendFile(keqiao, "a.xlsx", buf.Bytes())
	if strings.Contains(r.Text, "\n✅") || data.HasBidiControl(r.Text) {
		t.Errorf("preview:\n%s", r.Text)
	}
	if !strings.Contains(r.Text, "2行有错误") {
		t.Errorf("preview, want the two error rows:\n%s", r.Text)
	}
}

// A preview is confirmed in the chat it was shown in: its button pressed,
// or 确认导入 typed, in another chat imports nothing.
func TestImportConfirmElsewhere(t *testing.T) {
	f, tpl := importFixture(t)
	file := fillIn(t, tpl, "专项辅导名单", []any{"", "丙印染有限公司"})
	preview := f.send(Message{UserID: keqiao, ChatID: group, Group: true, File: &File{Name: "a.xlsx", Size: int64(len(file)), Fetch: fetchOf(file)}})
	if len(preview.Buttons) != 1 {
		t.Fatalf("preview %+v", preview)
	}
	if r := f.press(keqiao, preview, 0); r.Text != msgStaleButton { // pressed in the private chat
		t.Errorf("the button in another chat: %q", r.Text)
	}
	if r := f.say(keqiao, "确认导入"); r.Text != msgImportNone {
		t.Errorf("typed in another chat: %q", r.Text)
	}
	if got := f.names("柯桥", data.Tutoring); len(got) != 1 {
		t.Errorf("list = %v", got)
	}
}

// The city's template, sent round to the counties by the admin and filled
// by one of them: the other counties' rows, as their lists have them, are
// no error; a change to one of them is.
func TestImportCityTemplateByCounty(t *testing.T) {
	f, _ := importFixture(t)
	city := f.say(admin, "/template")
	if city.Document == nil {
		t.Fatalf("no city template: %q", city.Text)
	}
	file := fillIn(t, city.Document.Data, "专项辅导名单", []any{"柯桥", "丙印染有限公司"})
	r := f.sendFile(keqiao, "全市.xlsx", file)
	if !strings.Contains(r.Text, "1家新单位，0项信息变更，0行有错误") || len(r.Buttons) != 1 {
		t.Errorf("preview:\n%s", r.Text)
	}
	changed := setCell(t, file, "专项辅导名单", "G5", "钱七") // 嵊州's 乙领带有限公司's 联系人
	if r := f.sendFile(keqiao, "全市.xlsx", changed); !strings.Contains(r.Text, "是嵊州的，您只能导入柯桥") {
		t.Errorf("a change to 嵊州's row:\n%s", r.Text)
	}
}
