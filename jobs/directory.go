package jobs

import (
	"context"
	"fmt"

	"tsbot/data"
)

// Directory says where reminders reach a person and a county's group on the
// channels that are on; main implements it over Telegram and DingTalk, so
// the runner names chats without knowing a transport. Every chat id it
// returns is a claim's chat id in sent_reminders and must be distinct across
// channels (DingTalk's conversations have ids of their own, below
// data.FirstDingTalkChatID): a person on two channels gets a reminder once
// on each, never twice on one. Naming a chat may give a new DingTalk
// conversation its id (a row in dingtalk_chats), even from Plan; it never
// claims or sends anything.
type Directory interface {
	// PersonChats are p's private chats, one per channel p uses.
	PersonChats(ctx context.Context, p data.Person) ([]int64, error)
	// GroupChats are the group chats of county ("" for the city contact):
	// chatID is the Telegram chat the config gives it (0: none); the
	// channel adds what it knows of the county (a DingTalk group, a custom
	// robot).
	GroupChats(ctx context.Context, county string, chatID int64) ([]int64, error)
}

// SetDirectory sets where people and groups get reminders; without one,
// a person's chat is their (Telegram) user id and a group's its chat_id.
func (r *Runner) SetDirectory(d Directory) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dir = d
}

// audience is who a pass can reach: the roster, each person's private chats
// and each county's groups ("" the contact's), read once per pass.
type audience struct {
	people  []data.Person
	private map[int64][]int64  // user id → chats
	groups  map[string][]int64 // county → chats
}

func (r *Runner) audience(ctx context.Context) (audience, error) {
	people, err := r.store.People(ctx)
	if err != nil {
		return audience{}, fmt.Errorf("jobs: recipients: %w", err)
	}
	a := audience{people: people, private: map[int64][]int64{}, groups: map[string][]int64{}}
	groups := map[string]int64{"": r.cfg.ContactChatID}
	for _, co := range r.campaign.Counties {
		groups[co.Name] = co.ChatID
	}
	if r.dir == nil {
		for _, p := range people {
			if p.UserID > 0 { // ids below 1 are no Telegram user (the console's, DingTalk's)
				a.private[p.UserID] = []int64{p.UserID}
			}
		}
		for county, id := range groups {
			if id != 0 {
				a.groups[county] = []int64{id}
			}
		}
		return a, nil
	}
	for _, p := range people {
		chats, err := r.dir.PersonChats(ctx, p)
		if err != nil {
			return audience{}, fmt.Errorf("jobs: recipients: user %d: %w", p.UserID, err)
		}
		a.private[p.UserID] = chats
	}
	for county, id := range groups {
		chats, err := r.dir.GroupChats(ctx, county, id)
		if err != nil {
			return audience{}, fmt.Errorf("jobs: recipients: %q: %w", county, err)
		}
		a.groups[county] = chats
	}
	return a, nil
}
