package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"tsbot/data"
)

func TestNearNameSession(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +1 乙领带有限公司")
	q := f.say(keqiao, "辅导企业 +1 乙领带公司")
	if len(q.Buttons) != 2 || q.Buttons[0].Label != labelSameFirm || q.Buttons[1].Label != labelOtherFirm {
		t.Fatalf("question %+v: want the two buttons", q)
	}
	if !strings.Contains(q.Text, "乙领带有限公司") {
		t.Errorf("question %q does not name the listed firm", q.Text)
	}
	f.press(keqiao, q, 0) // 是同一家
	f.press(keqiao, q, 0) // pressed again
	f.press(keqiao, q, 1) // and the other, too late
	if got := f.names("柯桥", data.Tutoring); fmt.Sprint(got) != "[乙领带有限公司]" || f.totals()["柯桥"][data.Tutoring] != 1 {
		t.Errorf("after 是同一家: list %v, total %d; want [乙领带有限公司] of 1", got, f.totals()["柯桥"][data.Tutoring])
	}

	q = f.say(keqiao, "辅导企业 +2 乙领带厂、丙公司")
	f.press(keqiao, q, 1) // 是另一家
	f.press(keqiao, q, 1) // a second press records nothing more
	if got := f.names("柯桥", data.Tutoring); fmt.Sprint(got) != "[乙领带有限公司 乙领带厂 丙公司]" || f.totals()["柯桥"][data.Tutoring] != 3 {
		t.Errorf("after 是另一家: list %v, total %d; want 3 names of 3", got, f.totals()["柯桥"][data.Tutoring])
	}

	f.say(keqiao, "辅导企业 +1 丙有限公司（另一家）") // marked by hand
	f.say(keqiao, "辅导企业 +1 甲印染有限公司")    // another trade: no question
	if f.totals()["柯桥"][data.Tutoring] != 5 {
		t.Errorf("total %d, want 5", f.totals()["柯桥"][data.Tutoring])
	}

	// The same firm on another county's list is recorded, and flagged.
	r := f.say(admin, "越城 辅导企业 +1 绍兴市乙领带有限公司")
	if !strings.Contains(r.Text, "柯桥") {
		t.Errorf("reply %q does not flag 柯桥's list", r.Text)
	}
	l := f.say(admin, "/list")
	if !strings.Contains(l.Text, "越城“绍兴市乙领带有限公司”") || !strings.Contains(l.Text, "多区县重复") {
		t.Errorf("admin's /list %q does not flag the firm", l.Text)
	}
	if l := f.say(keqiao, "/list"); strings.Contains(l.Text, "多区县重复") {
		t.Errorf("county staff's /list %q shows the admin's flag", l.Text)
	}
	f.say(admin, "/list 越城")
	f.golden("near")
}

func TestNearNameTyped(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +1 乙领带有限公司")
	typed := func(text string) Reply {
		return f.send(Message{UserID: keqiao, ChatID: keqiao, Text: text, TypedAnswers: true})
	}
	q := typed("辅导企业 +1 乙领带公司")
	if len(q.Buttons) != 2 || q.Buttons[1].Typed != "2" {
		t.Fatalf("question %+v: want button 2 typed as 2", q)
	}
	typed("回复 2")
	typed("2")
	if got := f.names("柯桥", data.Tutoring); fmt.Sprint(got) != "[乙领带有限公司 乙领带公司]" || f.totals()["柯桥"][data.Tutoring] != 2 {
		t.Errorf("after typing 2 twice: list %v, total %d; want both names of 2", got, f.totals()["柯桥"][data.Tutoring])
	}
	q = typed("辅导企业 +1 乙领带有限责任公司")
	typed("1")
	if f.totals()["柯桥"][data.Tutoring] != 2 {
		t.Errorf("typed 1 recorded something: total %d", f.totals()["柯桥"][data.Tutoring])
	}
	// An edit is refused with how to mark the name, not asked.
	f.say(keqiao, "辅导企业 +1 丁公司")
	edited := Message{UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: f.nextID, Text: "辅导企业 +1 乙领带", Edited: true, TypedAnswers: true}
	r := f.h.Handle(context.Background(), edited)
	f.record("张三 改为: "+edited.Text, r)
	if len(r.Buttons) != 0 || !strings.Contains(r.Text, data.DistinctMark) {
		t.Errorf("edit answered %+v; want the refusal that says how to mark the name", r)
	}
	if got := f.names("柯桥", data.Tutoring); fmt.Sprint(got) != "[乙领带有限公司 乙领带公司 丁公司]" {
		t.Errorf("after the refused edit: list %v; want the original kept", got)
	}
	f.golden("near_typed")
}

// A press delivered twice by the channel (the same update) is answered once:
// "是另一家" records the name once, "是同一家" closes the question once.
func TestNearNamePressRedelivered(t *testing.T) {
	f := listsFixture(t)
	ctx := context.Background()
	msg := func(id int64, text string) Reply {
		return f.h.Handle(ctx, Message{Channel: "telegram", UpdateID: id, UserID: keqiao, UserName: "张三", ChatID: keqiao, MessageID: id, Text: text})
	}
	press := func(id int64, data string) Reply {
		return f.h.HandlePress(ctx, Press{Channel: "telegram", UpdateID: id, UserID: keqiao, ChatID: keqiao, MessageID: 100 + id, Data: data})
	}
	msg(1, "辅导企业 +1 乙领带有限公司")
	q := msg(2, "辅导企业 +1 乙领带公司")
	if len(q.Buttons) != 2 {
		t.Fatalf("question %+v", q)
	}
	first := press(3, q.Buttons[1].Data)
	again := press(3, q.Buttons[1].Data)
	if !strings.HasPrefix(first.Text, "✅ 已记录") || !again.Stored || again.Text != "" {
		t.Errorf("press %+v, redelivered %+v; want nothing the second time (the first answer is in the outbox)", first, again)
	}
	if got := f.names("柯桥", data.Tutoring); fmt.Sprint(got) != "[乙领带有限公司 乙领带公司]" || f.totals()["柯桥"][data.Tutoring] != 2 {
		t.Errorf("after a redelivered 是另一家: list %v, total %d; want it once", got, f.totals()["柯桥"][data.Tutoring])
	}

	q = msg(4, "辅导企业 +1 乙领带厂")
	first = press(5, q.Buttons[0].Data)
	again = press(5, q.Buttons[0].Data)
	if !strings.HasPrefix(first.Text, "未记录") || !again.Stored || again.Text != "" {
		t.Errorf("press %+v, redelivered %+v; want nothing the second time (the first answer is in the outbox)", first, again)
	}
	if got := press(6, q.Buttons[1].Data); !got.Alert {
		t.Errorf("是另一家 after 是同一家: %+v; want it refused", got)
	}
	if f.totals()["柯桥"][data.Tutoring] != 2 {
		t.Errorf("是同一家 recorded something: total %d", f.totals()["柯桥"][data.Tutoring])
	}
}
