package bot

import (
	"context"
	"regexp"
	"testing"
	"time"

	"tsbot/data"
)

var inviteCode = regexp.MustCompile(`start=([a-z0-9]+)`)

func TestInvites(t *testing.T) {
	f := newFixture(t)
	f.h.SetBotUsername("ShaoxingBot")
	f.say(keqiao, "/invite 柯桥 王五")
	f.say(admin, "/invite")
	f.say(admin, "/invite 杭州")
	r := f.say(admin, "/invite 柯桥 王五")
	m := inviteCode.FindStringSubmatch(r.Text)
	if m == nil {
		t.Fatalf("no link in %q", r.Text)
	}
	code := m[1]
	stale := f.say(admin, "/invite viewer")
	f.say(stranger, "/start nosuchcode")
	f.say(stranger, "/start "+code) // used once
	f.say(stranger, "/start "+code) // twice: already on the roster
	const other int64 = 998
	names[other] = "路人乙"
	f.say(other, "/start "+code) // the same link by someone else
	f.at(fixedNow.Add(data.InviteFor + time.Minute))
	f.say(other, "/start "+inviteCode.FindStringSubmatch(stale.Text)[1])
	masked := inviteCode.ReplaceAllString(f.log.String(), "start=<code>")
	masked = regexp.MustCompile(`/start [a-z0-9]{16}`).ReplaceAllString(masked, "/start <code>")
	f.log.Reset()
	f.log.WriteString(masked)
	f.golden("invites")
	p, err := f.store.Person(context.Background(), stranger)
	if err != nil || p.Role != data.RoleCounty || p.County != "柯桥" || p.Name != "王五" {
		t.Errorf("the invited: %+v, %v", p, err)
	}
	if _, err := f.store.Person(context.Background(), other); err == nil {
		t.Error("an expired invite added someone")
	}
}
