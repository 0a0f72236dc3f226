package bot

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"tsbot/data"
)

func TestParseDetail(t *testing.T) {
	c, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		t.Fatal(err)
	}
	v := func(f data.DetailField, s string) data.DetailValue { return data.DetailValue{Field: f, Value: s} }
	tests := []struct {
		name   string
		in     string
		county string
		unit   string
		values []data.DetailValue
		bad    string // a part of the refusal
	}{
		{name: "the brief's example", in: "乙领带有限公司 信用代码 91330683XXXXXXXXXX 联系人 张三 电话 13800000000 地址 嵊州市经济开发区 日期 2027-09-12 方式 上门辅导",
			unit: "乙领带有限公司", values: []data.DetailValue{v(data.DetailCreditCode, "91330683XXXXXXXXXX"), v(data.DetailContact, "张三"),
				v(data.DetailPhone, "13800000000"), v(data.DetailAddress, "嵊州市经济开发区"), v(data.DetailDate, "2027-09-12"), v(data.DetailMethod, "上门辅导")}},
		{name: "county first", in: "嵊州 乙领带有限公司 联系人 张三", county: "嵊州", unit: "乙领带有限公司", values: []data.DetailValue{v(data.DetailContact, "张三")}},
		{name: "county's full name", in: "嵊州市 乙领带有限公司 联系人 张三", county: "嵊州", unit: "乙领带有限公司", values: []data.DetailValue{v(data.DetailContact, "张三")}},
		{name: "glued and with colons", in: "乙领带有限公司 联系人：张三 电话:0575-85134612 备注首批", unit: "乙领带有限公司",
			values: []data.DetailValue{v(data.DetailContact, "张三"), v(data.DetailPhone, "0575-85134612"), v(data.DetailNote, "首批")}},
		{name: "full-width spaces and colon", in: "乙领带有限公司\u3000联系电话：１３８００００００００", unit: "乙领带有限公司",
			values: []data.DetailValue{v(data.DetailPhone, "13800000000")}},
		{name: "an address with spaces", in: "甲纺织 有限公司 地址 柯桥区 华舍街道 1号 联系人 王五", unit: "甲纺织 有限公司",
			values: []data.DetailValue{v(data.DetailAddress, "柯桥区 华舍街道 1号"), v(data.DetailContact, "王五")}},
		{name: "long key words", in: "乙领带有限公司 统一社会信用代码 913502000728319549 辅导日期 9月12日 辅导方式 集中培训", unit: "乙领带有限公司",
			values: []data.DetailValue{v(data.DetailCreditCode, "913502000728319549"), v(data.DetailDate, "9月12日"), v(data.DetailMethod, "集中培训")}},
		{name: "lines", in: "乙领带有限公司\n联系人 张三\n电话 13800000000", unit: "乙领带有限公司",
			values: []data.DetailValue{v(data.DetailContact, "张三"), v(data.DetailPhone, "13800000000")}},
		{name: "a name that begins with a key word", in: "方式科技有限公司 联系人 张三", unit: "方式科技有限公司", values: []data.DetailValue{v(data.DetailContact, "张三")}},
		{name: "only the name", in: "乙领带有限公司", unit: "乙领带有限公司"},
		{name: "nothing", in: "", bad: "用法"},
		{name: "a key word without value", in: "乙领带有限公司 联系人", bad: "联系人后面没有写内容"},
		{name: "twice", in: "乙领带有限公司 电话 13800000000 手机 13900000000", bad: "联系电话写了两次"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, bad := parseDetail(&c, tc.in)
			if tc.bad != "" {
				if !strings.Contains(bad, tc.bad) {
					t.Fatalf("refusal %q, want one containing %q", bad, tc.bad)
				}
				return
			}
			if bad != "" {
				t.Fatalf("refused: %s", bad)
			}
			if r.county != tc.county || r.name != tc.unit || !reflect.DeepEqual(r.values, tc.values) {
				t.Errorf("= %+v, want county %q, name %q, %v", r, tc.county, tc.unit, tc.values)
			}
		})
	}
}

// Who may write what, and what is refused, each case on a fresh fixture.
func TestDetailCommand(t *testing.T) {
	tests := []struct {
		name    string
		before  func(f *fixture)
		user    int64
		text    string
		want    string // a part of the reply
		contact string // 柯桥 甲纺织有限公司's contact afterwards
	}{
		{name: "county staff, own county", user: keqiao, text: "/detail 甲纺织有限公司 联系人 王五 电话 13800000000", want: "✅ 已记录 柯桥 甲纺织有限公司", contact: "王五"},
		{name: "the name folded", user: keqiao, text: "/detail 甲纺织 有限公司 联系人 王五", want: "✅ 已记录", contact: "王五"},
		{name: "admin, any county", user: admin, text: "/detail 柯桥 甲纺织有限公司 联系人 王五", want: "✅ 已记录", contact: "王五"},
		{name: "admin without the county", user: admin, text: "/detail 甲纺织有限公司 联系人 王五", want: "✅ 已记录", contact: "王五"},
		{name: "viewer", user: viewer, text: "/detail 甲纺织有限公司 联系人 王五", want: "只读"},
		{name: "stranger", user: stranger, text: "/detail 甲纺织有限公司 联系人 王五", want: ""},
		{name: "another county's name", user: keqiao, text: "/detail 越城 丙公司 联系人 王五", want: "您只能填写柯桥名单的信息"},
		{name: "a name on no list", user: keqiao, text: "/detail 乙公司 联系人 王五", want: "柯桥的名单上没有“乙公司”"},
		{name: "a wrong credit code", user: keqiao, text: "/detail 甲纺织有限公司 信用代码 91330683XXXXXXXXXX", want: "未记录：统一社会信用代码“91330683XXXXXXXXXX”校验位不对"},
		{name: "a short credit code", user: keqiao, text: "/detail 甲纺织有限公司 信用代码 9133068", want: "应为18位，这里是7位"},
		{name: "a wrong phone", user: keqiao, text: "/detail 甲纺织有限公司 联系人 王五 电话 1234", want: "未记录：联系电话“1234”不是电话号码"},
		{name: "a wrong date", user: keqiao, text: "/detail 甲纺织有限公司 日期 9月31日", want: "未记录：辅导日期“9月31日”不是日期"},
		{name: "confirmed: staff refused", before: func(f *fixture) { f.signOff(keqiao) },
			user: keqiao2, text: "/detail 甲纺织有限公司 联系人 王五", want: "未改动：柯桥的名单已于"},
		{name: "confirmed: the admin, late", before: func(f *fixture) { f.signOff(keqiao) },
			user: admin, text: "/detail 柯桥 甲纺织有限公司 联系人 王五", want: "标为逾期", contact: "王五"},
		{name: "after the deadline: staff refused", before: func(f *fixture) { f.at(time.Date(2027, 10, 1, 1, 0, 0, 0, time.UTC)) },
			user: keqiao, text: "/detail 甲纺织有限公司 联系人 王五", want: "名单报送已于9月30日截止"},
		{name: "the same name in two counties", before: func(f *fixture) { f.say(admin, "越城 辅导企业 +1 甲纺织有限公司") },
			user: admin, text: "/detail 甲纺织有限公司 联系人 王五", want: "在柯桥、越城的名单上都有"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := listsFixture(t)
			f.say(keqiao, "辅导企业 +1 甲纺织有限公司")
			f.say(admin, "越城 辅导企业 +1 丙公司")
			if tc.before != nil {
				tc.before(f)
			}
			r := f.say(tc.user, tc.text)
			if !strings.Contains(r.Text, tc.want) {
				t.Errorf("reply %q, want one containing %q", r.Text, tc.want)
			}
			d, err := f.store.Details(context.Background(), "柯桥")
			if err != nil {
				t.Fatal(err)
			}
			if got := d[data.Unit{County: "柯桥", Norm: data.NormalizeName("甲纺织有限公司")}].Get(data.DetailContact); got != tc.contact {
				t.Errorf("contact = %q, want %q", got, tc.contact)
			}
		})
	}
}

// A session: details recorded, corrected (the latest wins), shown, and in
// the exported 名单.
func TestDetailSession(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +2 甲纺织有限公司、乙印染有限公司")
	f.say(keqiao, "/detail 甲纺织有限公司 信用代码 91310110666007217T 联系人 王五 电话 0575-85134612 地址 柯桥区华舍街道1号 日期 9月12日 方式 上门辅导")
	f.say(keqiao, "/detail 甲纺织有限公司 电话 138 0000 0000")
	f.say(keqiao, "/detail 甲纺织有限公司")
	f.say(keqiao, "/detail 乙印染有限公司")
	f.say(viewer, "/detail 柯桥 甲纺织有限公司")
	f.say(keqiao, "/detail")
	r := f.say(admin, "/export 柯桥")
	f.golden("detail")
	if r.Document == nil {
		t.Fatalf("no document: %s", r.Text)
	}
	cells := dumpSheet(t, r.Document.Data, "专项辅导名单")
	if !strings.Contains(cells, "甲纺织有限公司 | 91310110666007217T |  | 柯桥区华舍街道1号 | 王五 | 13800000000 | 2027-09-12 | 上门辅导") {
		t.Errorf("the 名单 lacks the newest details:\n%s", cells)
	}
}

// dumpSheet is the rows of one sheet of a workbook, cells joined by " | ".
func dumpSheet(t *testing.T, raw []byte, sheet string) string {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, " | ") + "\n")
	}
	return b.String()
}

// listedNames is the 单位名称 column of a 名单 sheet: the rows between the
// heading and the line under the table.
func listedNames(t *testing.T, raw []byte, sheet string) []string {
	t.Helper()
	var out []string
	in := false
	for _, line := range strings.Split(dumpSheet(t, raw, sheet), "\n") {
		cells := strings.Split(line, " | ")
		switch {
		case cells[0] == "序号":
			in = true
		case in && strings.HasPrefix(cells[0], "共"):
			return out
		case in && len(cells) > 2:
			out = append(out, cells[2])
		}
	}
	return out
}
