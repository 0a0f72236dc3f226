package telegramtest

import "fmt"

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

// Redeliver queues update id again, after whatever is queued, and delivers
// it (in webhook mode) as the injections do.
func (s *Server) Redeliver(id int64) {
	s.mu.Lock()
	raw, ok := s.history[id]
	if !ok {
		s.mu.Unlock()
		panic(fmt.Sprintf("telegramtest: Redeliver: no update %d was injected", id))
	}
	s.updates = append(s.updates, queuedUpdate{id: id, raw: raw})
	s.notifyLocked()
	s.mu.Unlock()
	s.deliverSoon()
}
