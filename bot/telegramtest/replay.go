package telegramtest

import (
	"fmt"
	"slices"

	"github.com/go-telegram/bot/models"
)

// Telegram delivers an update again when the bot did not acknowledge it: a
// crash before the next getUpdates, a webhook answer that never arrived, a
// second instance behind the same webhook. Redeliver does that on purpose,
// to any update injected before, acknowledged or not: the same id, the
// same bytes.

// rememberLocked keeps the bytes of every injected update for Redeliver.
func (s *Server) rememberLocked(id int64, raw []byte) {
	if s.history == nil {
		s.history = map[int64][]byte{}
	}
	s.history[id] = raw
}

// Redeliver queues update id again and delivers it (in webhook mode) as
// the injections do. The queue stays in ascending id order, as Telegram's
// is: in polling mode the next getUpdates serves it in its place, whatever
// the offset says, once. An update still queued is left as it is: Telegram
// does not hold an update twice.
func (s *Server) Redeliver(id int64) {
	s.mu.Lock()
	raw, ok := s.history[id]
	if !ok {
		s.mu.Unlock()
		panic(fmt.Sprintf("telegramtest: Redeliver: no update %d was injected", id))
	}
	i := 0
	for i < len(s.updates) && s.updates[i].id < id {
		i++
	}
	if i == len(s.updates) || s.updates[i].id != id {
		s.updates = slices.Insert(s.updates, i, queuedUpdate{id: id, raw: raw, again: true})
		s.notifyLocked()
	}
	s.mu.Unlock()
	s.deliverSoon()
}

// redeliverLocked applies an offset while a redelivered update waits to be
// served: it drops the confirmed updates but those. It reports false when
// there is none.
func (s *Server) redeliverLocked(offset int64) bool {
	if !slices.ContainsFunc(s.updates, func(u queuedUpdate) bool { return u.again }) {
		return false
	}
	s.updates = slices.DeleteFunc(s.updates, func(u queuedUpdate) bool { return u.id < offset && !u.again })
	s.offset = max(s.offset, offset)
	return true
}

// CraftedPress is a callback query with data of the sender's choosing under
// one of the bot's messages: what a modified client can send, whatever
// buttons the message has.
func (s *Server) CraftedPress(from models.User, chat models.Chat, messageID int, data string) (updateID int64, queryID string) {
	return s.press(from, chat, messageID, data, false)
}
