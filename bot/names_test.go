package bot

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"tsbot/data"
)

// listsFixture is the handler fixture with the lists' deadline in force.
func listsFixture(t *testing.T) *fixture {
	f := newFixture(t)
	f.store.ListsClose = f.h.Campaign.ListsClose()
	return f
}

func (f *fixture) at(now time.Time) {
	f.store.Now = func() time.Time { return now }
	f.h.Now = func() time.Time { return now }
}

func TestNamedUpdatesSession(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +2 甲纺织有限公司、乙印染有限公司")
	f.say(keqiao, "辅导企业 +1 甲纺织 有限公司") // duplicate after folding
	f.say(keqiao, "辅导企业 +1 乙印染（有限）公司")
	f.say(keqiao, "辅导企业 +3 丙公司、丁公司") // count mismatch
	f.say(keqiao, "辅导企业 =5 丙公司")     // names with =N
	f.say(keqiao, "辅导企业 -1 戊公司")     // not on the list
	f.say(keqiao, "辅导企业 +1 "+strings.Repeat("长", 101))
	f.say(keqiao, "辅导企业 +1") // unnamed still counts
	f.say(keqiao, "辅导企业 -2") // would leave 2 names on a count of 1
	f.say(keqiao, "辅导企业 -1 乙印染有限公司")
	r := f.say(keqiao, "辅导企业 +2 丙公司；丁公司")
	f.press(keqiao, r, 0) // undo takes the names off too
	f.say(keqiao, "辅导企业 +1 丙公司")
	f.say(keqiao, "/list")
	f.say(keqiao, "/history 柯桥")
	f.golden("names")
	got := f.names("柯桥", data.Tutoring)
	if fmt.Sprint(got) != "[甲纺织有限公司 丙公司]" || f.totals()["柯桥"][data.Tutoring] != 3 {
		t.Errorf("list %v, total %d; want [甲纺织有限公司 丙公司] of 3", got, f.totals()["柯桥"][data.Tutoring])
	}
}

func (f *fixture) names(county string, ind data.Indicator) []string {
	f.t.Helper()
	ls, err := f.store.Names(context.Background(), county)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for _, l := range ls {
		if l.Indicator == ind {
			out = append(out, l.Name)
		}
	}
	return out
}

func TestListsSession(t *testing.T) {
	f := listsFixture(t)
	f.say(admin, "越城 示范区 +1 越城高新区\n越城 辅导企业 +1 甲公司")
	var many []string
	for i := 1; i <= 12; i++ {
		many = append(many, fmt.Sprintf("柯桥企业%02d", i))
	}
	f.say(keqiao, "辅导企业 +12 "+strings.Join(many, "、"))
	f.say(keqiao, "辅导企业 +2")
	f.say(keqiao, "省级示范站 +1 柯桥纺织示范站")
	f.say(keqiao, "/list")
	f.say(keqiao, "/list 柯桥 辅导企业")
	f.say(admin, "/list")
	f.say(admin, "/list 越城")
	f.say(viewer, "/list 柯桥 示范站")
	f.say(viewer, "/list 杭州")
	f.say(stranger, "/list")
	f.golden("lists")
}

func TestNoteOneButton(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "省级示范站 +1 柯桥纺织示范站\n市县级示范站 +2 钱清轻纺示范点、柯桥印染示范点")
	f.say(keqiao, "辅导企业 +1 钱清轻纺示范点")
	r := f.say(keqiao, "/status 柯桥")
	f.press(viewer, r, 0)   // read only
	f.press(stranger, r, 0) // not on the roster
	f.press(keqiao, r, 0)   // 柯桥纺织示范站 joins the tutoring list
	f.press(keqiao, r, 0)   // pressed twice: already listed
	lr := f.say(admin, "/list 柯桥")
	f.press(admin, lr, 0) // the admin adds 柯桥印染示范点
	f.say(keqiao, "/status 柯桥")
	f.golden("note_one")
	if got := f.names("柯桥", data.Tutoring); fmt.Sprint(got) != "[钱清轻纺示范点 柯桥纺织示范站 柯桥印染示范点]" {
		t.Errorf("tutoring list = %v", got)
	}
	if got := f.totals()["柯桥"]; got != (data.Counts{0, 1, 2, 3}) {
		t.Errorf("柯桥 = %v: counts stay as logged, plus the two buttons", got)
	}
}

func TestConfirmAndLateChanges(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +2 甲公司、乙公司")
	f.say(viewer, "/confirm")
	f.say(admin, "/confirm")
	f.say(keqiao, "/confirm 越城")
	f.signOff(keqiao)
	f.say(keqiao2, "/confirm")
	f.say(keqiao2, "辅导企业 +1 丙公司") // confirmed: staff are refused
	f.say(keqiao, "/undo")
	f.say(admin, "柯桥 辅导企业 +1 丙公司") // the admin may, marked late
	f.say(keqiao, "越城 辅导企业 +1")    // another county: still refused as before
	f.say(admin, "/history")
	f.say(admin, "/list 柯桥")
	f.golden("confirm_late")
}

// After 30 September (the end of the day in Shaoxing) every county is
// closed to its staff, confirmed or not.
func TestListsDeadline(t *testing.T) {
	f := listsFixture(t)
	r := f.say(keqiao, "辅导企业 +1 甲公司")
	f.at(time.Date(2027, 9, 30, 15, 59, 0, 0, time.UTC)) // 23:59 on the 30th
	f.say(keqiao, "辅导企业 +1 乙公司")
	f.at(time.Date(2027, 9, 30, 16, 0, 0, 0, time.UTC)) // midnight
	f.say(keqiao, "辅导企业 +1 丙公司")
	f.press(keqiao, r, 0)
	f.say(admin, "柯桥 辅导企业 -1 乙公司")
	f.signOff(keqiao) // a late sign-off is still a sign-off
	f.say(keqiao, "/history")
	f.golden("deadline")
	if got := f.names("柯桥", data.Tutoring); fmt.Sprint(got) != "[甲公司]" {
		t.Errorf("list = %v", got)
	}
}

func TestExportCommand(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +2 甲公司、乙公司")
	f.say(admin, "越城 辅导企业 +1 丙公司")
	for _, tc := range []struct {
		name    string
		user    int64
		text    string
		file    string // "" when no document is expected
		tutored []string
	}{
		{"county staff get their county", keqiao, "/export", "商业秘密保护名单_柯桥_20270920.xlsx", []string{"甲公司", "乙公司"}},
		{"county staff asking for the city", keqiao, "/export 越城", "", nil},
		{"admin gets the city", admin, "/export", "商业秘密保护名单_全市_20270920.xlsx", []string{"丙公司", "甲公司", "乙公司"}},
		{"viewer asks for one county", viewer, "/export 越城", "商业秘密保护名单_越城_20270920.xlsx", []string{"丙公司"}},
		{"stranger", stranger, "/export", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := f.say(tc.user, tc.text)
			if tc.file == "" {
				if r.Document != nil {
					t.Fatalf("document %s sent: %s", r.Document.Name, r.Text)
				}
				return
			}
			if r.Document == nil || r.Document.Name != tc.file {
				t.Fatalf("reply %+v, want document %s", r, tc.file)
			}
			got := listedNames(t, r.Document.Data, "专项辅导名单")
			if !reflect.DeepEqual(got, tc.tutored) {
				t.Errorf("tutored = %v, want %v", got, tc.tutored)
			}
		})
	}
	f.golden("export")
}

// The console writes a document to the current directory and says where.
func TestConsoleSavesDocument(t *testing.T) {
	f := listsFixture(t)
	dir := t.TempDir()
	t.Chdir(dir)
	var out bytes.Buffer
	if err := RunConsole(context.Background(), f.h, admin, "凌晓波", strings.NewReader("/export 柯桥\n"), &out); err != nil {
		t.Fatal(err)
	}
	name := "商业秘密保护名单_柯桥_20270920.xlsx"
	if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
		t.Fatalf("%v; console said: %s", err, out.String())
	}
	if !strings.Contains(out.String(), "文件已保存") || !strings.Contains(out.String(), name) {
		t.Errorf("console said: %s", out.String())
	}
}
