package telegram

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"tsbot/bot"
	"tsbot/data"
)

// The command menus, a menu per role. Telegram shows each chat the menu of
// the narrowest scope set for it: county staff get the default menu, each
// admin's and each viewer's private chat a menu of its own (an admin's
// longer, a viewer's without the commands that write), and groups a short
// one. They are set at start and again whenever the roster changes.
//
// Telegram refuses a chat's menu until the person has written to the bot
// ("chat not found"); such a person's menu is set at their first message.

type menus struct {
	t    *Adapter
	kick chan struct{}

	mu sync.Mutex
	// own are the private chats given a menu of their own, by role; waiting
	// the people whose chat Telegram did not know yet.
	own     map[int64]data.Role
	waiting map[int64]bool
}

func newMenus(t *Adapter) *menus {
	return &menus{t: t, kick: make(chan struct{}, 1), own: map[int64]data.Role{}, waiting: map[int64]bool{}}
}

// changed asks for a refresh (the roster changed, or someone whose menu
// waits wrote to the bot); it never blocks.
func (m *menus) changed() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// heard notes a private message from userID: if their menu waits for their
// chat, set it now.
func (m *menus) heard(userID int64) {
	m.mu.Lock()
	w := m.waiting[userID]
	m.mu.Unlock()
	if w {
		m.changed()
	}
}

// loop refreshes the menus on each change until ctx ends.
func (m *menus) loop(ctx context.Context) {
	for {
		select {
		case <-m.kick:
			m.refresh(ctx)
		case <-ctx.Done():
			return
		}
	}
}

func botCommands(cs []bot.Command) []models.BotCommand {
	out := make([]models.BotCommand, len(cs))
	for i, c := range cs {
		out[i] = models.BotCommand{Command: c.Name, Description: c.About}
	}
	return out
}

// refresh sets every menu from the roster as it is now. A failure is
// logged; the next refresh tries again.
func (m *menus) refresh(ctx context.Context) {
	log := m.t.log
	if err := m.set(ctx, &models.BotCommandScopeDefault{}, bot.Menu(data.RoleCounty)); err != nil {
		log.Warn("telegram: command menu not set", slog.String("scope", "default"), slog.Any("err", err))
	}
	if err := m.set(ctx, &models.BotCommandScopeAllGroupChats{}, bot.GroupMenu()); err != nil {
		log.Warn("telegram: command menu not set", slog.String("scope", "all_group_chats"), slog.Any("err", err))
	}
	people, err := m.t.h.Store.People(ctx)
	if err != nil {
		log.Warn("telegram: command menus: roster not read", slog.Any("err", err))
		return
	}
	want := map[int64]data.Role{}
	for _, p := range people {
		if p.Role == data.RoleAdmin || p.Role == data.RoleViewer {
			want[p.UserID] = p.Role
		}
	}
	m.mu.Lock()
	own := make(map[int64]data.Role, len(m.own))
	for id, r := range m.own {
		own[id] = r
	}
	waiting := m.waiting
	m.mu.Unlock()
	for id, role := range want {
		if r, ok := own[id]; ok && r == role && !waiting[id] {
			continue
		}
		err := m.set(ctx, &models.BotCommandScopeChat{ChatID: id}, bot.Menu(role))
		m.mu.Lock()
		switch {
		case err == nil:
			m.own[id] = role
			delete(m.waiting, id)
		case chatNotFound(err):
			m.waiting[id] = true // not written to the bot yet
		default:
			log.Warn("telegram: command menu not set", slog.Int64("user_id", id), slog.Any("err", err))
		}
		m.mu.Unlock()
	}
	for id := range own {
		if _, ok := want[id]; ok {
			continue
		}
		// Removed, or now county staff: back to the default menu.
		err := m.call(ctx, "deleteMyCommands", func(ctx context.Context) error {
			_, err := m.t.api.DeleteMyCommands(ctx, &tgbot.DeleteMyCommandsParams{Scope: &models.BotCommandScopeChat{ChatID: id}})
			return err
		})
		if err != nil && !chatNotFound(err) {
			log.Warn("telegram: command menu not removed", slog.Int64("user_id", id), slog.Any("err", err))
			continue
		}
		m.mu.Lock()
		delete(m.own, id)
		m.mu.Unlock()
	}
	m.mu.Lock()
	for id := range m.waiting {
		if _, ok := want[id]; !ok {
			delete(m.waiting, id)
		}
	}
	m.mu.Unlock()
}

func (m *menus) set(ctx context.Context, scope models.BotCommandScope, cs []bot.Command) error {
	cmds := botCommands(cs)
	return m.call(ctx, "setMyCommands", func(ctx context.Context) error {
		_, err := m.t.api.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: cmds, Scope: scope})
		return err
	})
}

// call runs one menu call through the sender's retry policy, on a chat id
// no chat can have, and waits for it.
func (m *menus) call(ctx context.Context, method string, do func(context.Context) error) error {
	done := make(chan error, 1)
	if err := m.t.send.enqueue(0, job{method: method, done: done, do: do}); err != nil {
		return err
	}
	return m.t.send.wait(ctx, done)
}

func chatNotFound(err error) bool {
	return errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "chat not found")
}
