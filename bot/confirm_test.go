package bot

import (
	"context"
	"strings"
	"testing"
)

// signOff confirms user's county's lists: /confirm, then the preview's button.
func (f *fixture) signOff(user int64) Reply {
	f.t.Helper()
	r := f.say(user, "/confirm")
	if len(r.Buttons) != 1 {
		f.t.Fatalf("/confirm: no button in %q", r.Text)
	}
	return f.press(user, r, 0)
}

func (f *fixture) confirmed(county string) bool {
	f.t.Helper()
	confs, err := f.store.Confirmations(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	_, ok := confs[county]
	return ok
}

// /confirm shows what would be submitted and confirms nothing; the press
// does; /reopen takes it back with a reason; the staff fix and confirm again,
// this time by typing 确认.
func TestConfirmPreviewPressReopen(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +2 甲公司、乙公司")
	f.say(keqiao, "辅导企业 +1")
	f.say(keqiao, "省级示范站 +1 柯桥纺织示范站")
	f.say(keqiao, "/detail 甲公司 联系人 王五 电话 13905751234")
	r := f.say(keqiao, "/confirm")
	if f.confirmed("柯桥") {
		t.Fatal("/confirm alone confirmed the lists")
	}
	f.press(keqiao, r, 0)
	if !f.confirmed("柯桥") {
		t.Fatal("the press did not confirm")
	}
	f.press(keqiao, r, 0) // pressed twice
	f.say(keqiao, "辅导企业 +1 丙公司")
	f.say(keqiao, "/reopen 柯桥 补报")
	f.say(admin, "/reopen")
	f.say(admin, "/reopen 柯桥")
	f.say(admin, "/reopen 越城 补报")
	f.say(admin, "/reopen 柯桥 补报丙公司")
	if f.confirmed("柯桥") {
		t.Fatal("/reopen left the lists confirmed")
	}
	f.say(admin, "/reopen 柯桥 再次")
	f.say(keqiao, "辅导企业 +1 丙公司")
	f.say(keqiao, "/list")
	f.say(keqiao, "确认") // the preview was answered: none open
	stale := f.say(keqiao, "/confirm")
	f.say(keqiao, "辅导企业 +1 丁公司") // the lists change after the preview
	f.press(keqiao, stale, 0)
	f.say(keqiao, "/confirm")
	f.say(keqiao, "确认")
	f.say(admin, "/list")
	f.golden("confirm")
	if !f.confirmed("柯桥") {
		t.Error("typed 确认 did not confirm")
	}
	var reopened []string
	reos, err := f.store.Reopenings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for c, ro := range reos {
		reopened = append(reopened, c+":"+ro.Reason)
	}
	if strings.Join(reopened, ",") != "柯桥:补报丙公司" {
		t.Errorf("reopenings = %v", reopened)
	}
}

// In a group, a bare 确认 not addressed to the bot is chatter.
func TestTypedConfirmInGroupNeedsAddress(t *testing.T) {
	f := listsFixture(t)
	f.say(keqiao, "辅导企业 +1 甲公司")
	f.send(Message{UserID: keqiao, ChatID: group, Group: true, Addressed: true, Text: "/confirm"})
	if r := f.sayInGroup(keqiao, "确认"); r.Text != "" || f.confirmed("柯桥") {
		t.Fatalf("group chatter 确认 answered %q", r.Text)
	}
	r := f.send(Message{UserID: keqiao, ChatID: group, Group: true, Addressed: true, Text: "确认"})
	if !strings.HasPrefix(r.Text, "✅ 已确认报送柯桥名单") || !f.confirmed("柯桥") {
		t.Errorf("reply to the bot 确认: %q", r.Text)
	}
}
