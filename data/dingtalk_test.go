package data

import (
	"context"
	"errors"
	"testing"
)

// People on two channels: a person found by staff id, ids allocated below
// the console's, a Telegram person given a staff id keeps their user id, and
// the last-admin rule counts DingTalk-only admins.
func TestRosterOnDingTalk(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		sid := func(s string) *string { return &s }
		a, err := s.SaveDingTalkPerson(ctx, Person{Role: RoleAdmin, Name: "凌晓波", DingTalkID: sid("ling01")})
		if err != nil || a.UserID != FirstDingTalkUserID {
			t.Fatalf("first DingTalk person: %+v, %v", a, err)
		}
		b, err := s.SaveDingTalkPerson(ctx, Person{Role: RoleCounty, County: "柯桥", Name: "张三", DingTalkID: sid("zhang3")})
		if err != nil || b.UserID != FirstDingTalkUserID-1 {
			t.Fatalf("second DingTalk person: %+v, %v", b, err)
		}
		// Saved again: the same person, a new role.
		b2, err := s.SaveDingTalkPerson(ctx, Person{Role: RoleViewer, Name: "张三", DingTalkID: sid("zhang3")})
		if err != nil || b2.UserID != b.UserID {
			t.Fatalf("saved again: %+v, %v", b2, err)
		}
		if p, err := s.PersonByDingTalk(ctx, "zhang3"); err != nil || p.Role != RoleViewer || p.UserID != b.UserID {
			t.Errorf("by staff id: %+v, %v", p, err)
		}
		if _, err := s.PersonByDingTalk(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("stranger: %v", err)
		}
		// The only admin, known only on DingTalk, is the last admin.
		if _, err := s.SaveDingTalkPerson(ctx, Person{Role: RoleViewer, DingTalkID: sid("ling01")}); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("demoting the last (DingTalk) admin: %v", err)
		}
		// The config: a Telegram person with a staff id, and one by staff id only.
		err = s.SeedRoster(ctx, []Person{
			{UserID: 42, Role: RoleCounty, County: "上虞", Name: "王五", DingTalkID: sid("wang5")},
			{Role: RoleCounty, County: "嵊州", Name: "赵六", DingTalkID: sid("zhao6")},
		})
		if err != nil {
			t.Fatal(err)
		}
		if p, err := s.PersonByDingTalk(ctx, "wang5"); err != nil || p.UserID != 42 {
			t.Errorf("Telegram person by staff id: %+v, %v", p, err)
		}
		if p, err := s.PersonByDingTalk(ctx, "zhao6"); err != nil || p.UserID != FirstDingTalkUserID-2 || p.County != "嵊州" {
			t.Errorf("DingTalk-only seeded person: %+v, %v", p, err)
		}
		// /adduser by Telegram id leaves the staff id alone.
		if err := s.SavePerson(ctx, Person{UserID: 42, Role: RoleViewer}); err != nil {
			t.Fatal(err)
		}
		if p, err := s.PersonByDingTalk(ctx, "wang5"); err != nil || p.UserID != 42 || p.Role != RoleViewer {
			t.Errorf("after a Telegram /adduser: %+v, %v", p, err)
		}
	})
}

func TestDingTalkChats(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		one, err := s.SaveDingTalkChat(ctx, DingTalkChat{ConversationID: "cidA", Webhook: "https://api.dingtalk.com/x", StaffID: "zhang3"})
		if err != nil || one != FirstDingTalkChatID {
			t.Fatalf("first chat: %d, %v", one, err)
		}
		two, err := s.DingTalkChatFor(ctx, "cidB", true, "")
		if err != nil || two != FirstDingTalkChatID-1 {
			t.Fatalf("second chat: %d, %v", two, err)
		}
		again, err := s.SaveDingTalkChat(ctx, DingTalkChat{ConversationID: "cidA", Webhook: "https://api.dingtalk.com/y"})
		if err != nil || again != one {
			t.Fatalf("again: %d, %v", again, err)
		}
		c, err := s.DingTalkChatByID(ctx, one)
		if err != nil || c.Webhook != "https://api.dingtalk.com/y" || c.StaffID != "zhang3" {
			t.Errorf("chat: %+v, %v", c, err)
		}
	})
}
