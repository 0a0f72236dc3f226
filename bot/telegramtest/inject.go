package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"unicode"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"
)

// chatState is one chat as the server knows it. Messages are never mutated
// once stored (an edit stores a copy), so pointers handed out in Calls and
// updates stay valid and race-free.
type chatState struct {
	chat     models.Chat
	lastID   int // message ids count up per chat, shared by users and bot
	messages map[int]*models.Message
}

// PrivateChat is the private chat between u and the bot; as in Telegram its
// id is the user's id.
func PrivateChat(u models.User) models.Chat {
	return models.Chat{
		ID:        u.ID,
		Type:      models.ChatTypePrivate,
		FirstName: u.FirstName,
		LastName:  u.LastName,
		Username:  u.Username,
	}
}

// GroupChat is a basic group. Group ids are negative in Telegram; a
// non-negative id panics, since it could only be a mistake in a test.
func GroupChat(id int64, title string) models.Chat {
	if id >= 0 {
		panic(fmt.Sprintf("telegramtest: group chat id %d must be negative", id))
	}
	return models.Chat{ID: id, Type: models.ChatTypeGroup, Title: title}
}

// SupergroupChat is a supergroup; real ones have ids like -100xxxxxxxxxx.
func SupergroupChat(id int64, title string) models.Chat {
	if id >= 0 {
		panic(fmt.Sprintf("telegramtest: supergroup chat id %d must be negative", id))
	}
	return models.Chat{ID: id, Type: models.ChatTypeSupergroup, Title: title}
}

// AddChat makes a chat known without any update, as if the user had started
// the bot (or added it to the group) earlier, so the bot may write to it
// first. Without it sendMessage answers "chat not found", as Telegram does
// for chats the bot has never been in.
func (s *Server) AddChat(chat models.Chat) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chatStateLocked(chat)
}

// Menu returns the command menu set for a scope ("default",
// "all_group_chats", "chat:<id>", …), and whether one is set.
func (s *Server) Menu(scope string) ([]models.BotCommand, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.menus[scope]
	return append([]models.BotCommand(nil), m...), ok
}

// Message returns the current state of a message, after any edits.
func (s *Server) Message(chatID int64, messageID int) (models.Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs := s.chats[chatID]
	if cs == nil || cs.messages[messageID] == nil {
		return models.Message{}, false
	}
	return *cs.messages[messageID], true
}

// SendText has user from send text in chat and queues the message update.
// Bot commands in the text get bot_command entities, as Telegram adds them.
func (s *Server) SendText(from models.User, chat models.Chat, text string) (updateID int64, messageID int) {
	return s.ReplyText(from, chat, 0, text)
}

// ReplyText is SendText replying to message replyTo of the same chat; 0
// means no reply. Replying to an unknown message panics.
func (s *Server) ReplyText(from models.User, chat models.Chat, replyTo int, text string) (updateID int64, messageID int) {
	checkSender(from, chat)
	s.mu.Lock()
	m := s.newMessageLocked(from, chat, replyTo, text)
	updateID = s.queueLocked(&models.Update{Message: m})
	s.mu.Unlock()
	s.deliverSoon()
	return updateID, m.ID
}

// ForwardText has from forward a message with text into chat; origin says
// where it came from, as forward_origin does.
func (s *Server) ForwardText(from models.User, chat models.Chat, origin models.MessageOrigin, text string) (updateID int64, messageID int) {
	checkSender(from, chat)
	s.mu.Lock()
	m := s.newMessageLocked(from, chat, 0, text)
	fm := *m
	fm.ForwardOrigin = &origin
	cs := s.chats[chat.ID]
	cs.messages[fm.ID] = &fm
	updateID = s.queueLocked(&models.Update{Message: &fm})
	s.mu.Unlock()
	s.deliverSoon()
	return updateID, fm.ID
}

// SendTextWith is SendText with fields set on the message as given, in the
// update's JSON: fields go-telegram/bot's models lack (the older
// "forward_from"), or values of a shape they cannot decode (a
// "forward_origin" of a type they do not know, a "date" that is a string).
// The message is stored as SendText stores it, so the bot may reply to it.
func (s *Server) SendTextWith(from models.User, chat models.Chat, text string, fields map[string]any) (updateID int64, messageID int) {
	checkSender(from, chat)
	s.mu.Lock()
	m := s.newMessageLocked(from, chat, 0, text)
	raw, err := json.Marshal(m)
	if err != nil {
		s.mu.Unlock()
		panic("telegramtest: encode message: " + err.Error())
	}
	obj, err := decodeObject(raw)
	if err != nil {
		s.mu.Unlock()
		panic("telegramtest: decode message: " + err.Error())
	}
	for k, v := range fields {
		obj[k] = v
	}
	updateID = s.queueRawLocked(map[string]any{"message": obj})
	s.mu.Unlock()
	s.deliverSoon()
	return updateID, m.ID
}

// SendRawUpdate queues an update given as a JSON object, as is but for the
// update_id it gets: an update type the bot does not know, or one of a shape
// no model decodes. A text that is not a JSON object panics.
func (s *Server) SendRawUpdate(update string) (updateID int64) {
	obj, err := decodeObject([]byte(update))
	if err != nil || obj == nil {
		panic(fmt.Sprintf("telegramtest: raw update is not a JSON object: %q", update))
	}
	s.mu.Lock()
	updateID = s.queueRawLocked(obj)
	s.mu.Unlock()
	s.deliverSoon()
	return updateID
}

// decodeObject decodes a JSON object keeping its numbers exact (ids beyond
// 2^53 would not survive a float64).
func decodeObject(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var obj map[string]any
	err := d.Decode(&obj)
	return obj, err
}

// newMessageLocked stores a new message of from in chat.
func (s *Server) newMessageLocked(from models.User, chat models.Chat, replyTo int, text string) *models.Message {
	cs := s.chatStateLocked(chat)
	cs.lastID++
	u := from
	m := &models.Message{
		ID:       cs.lastID,
		From:     &u,
		Date:     int(s.now().Unix()),
		Chat:     cs.chat,
		Text:     text,
		Entities: commandEntities(text),
	}
	if replyTo != 0 {
		target := cs.messages[replyTo]
		if target == nil {
			s.mu.Unlock()
			panic(fmt.Sprintf("telegramtest: reply to unknown message %d in chat %d", replyTo, chat.ID))
		}
		quoted := *target
		quoted.ReplyToMessage = nil
		m.ReplyToMessage = &quoted
	}
	cs.messages[m.ID] = m
	return m
}

// EditText has from edit their message messageID to text and queues the
// edited_message update. Editing a message that is not from's panics.
func (s *Server) EditText(from models.User, chat models.Chat, messageID int, text string) (updateID int64) {
	checkSender(from, chat)
	s.mu.Lock()
	cs := s.chatStateLocked(chat)
	old := cs.messages[messageID]
	if old == nil || old.From == nil || old.From.ID != from.ID {
		s.mu.Unlock()
		panic(fmt.Sprintf("telegramtest: user %d has no message %d in chat %d to edit", from.ID, messageID, chat.ID))
	}
	m := *old
	m.Text = text
	m.Entities = commandEntities(text)
	m.EditDate = int(s.now().Unix())
	cs.messages[messageID] = &m
	updateID = s.queueLocked(&models.Update{EditedMessage: &m})
	s.mu.Unlock()
	s.deliverSoon()
	return updateID
}

// PressButton has from press the inline button with callback data data
// under the bot's message messageID and queues the callback_query update.
// The button must be there: Telegram's clients cannot press a button that
// does not exist, so asking for one panics.
func (s *Server) PressButton(from models.User, chat models.Chat, messageID int, data string) (updateID int64, queryID string) {
	return s.press(from, chat, messageID, data, true)
}

func (s *Server) press(from models.User, chat models.Chat, messageID int, data string, issued bool) (updateID int64, queryID string) {
	checkSender(from, chat)
	s.mu.Lock()
	cs := s.chatStateLocked(chat)
	m := cs.messages[messageID]
	if m == nil || (issued && !hasButton(m, data)) {
		s.mu.Unlock()
		panic(fmt.Sprintf("telegramtest: no button with callback data %q under message %d in chat %d", data, messageID, chat.ID))
	}
	s.nextQueryID++
	// Telegram's query ids are long decimal strings; make ours look alike.
	queryID = strconv.FormatInt(4382000000000000000+s.nextQueryID, 10)
	s.queries[queryID] = false
	u := from
	q := &models.CallbackQuery{
		ID:           queryID,
		From:         u,
		Message:      models.MaybeInaccessibleMessage{Type: models.MaybeInaccessibleMessageTypeMessage, Message: m},
		ChatInstance: strconv.FormatInt(-chat.ID*7919, 10),
		Data:         data,
	}
	updateID = s.queueLocked(&models.Update{CallbackQuery: q})
	s.mu.Unlock()
	s.deliverSoon()
	return updateID, queryID
}

func hasButton(m *models.Message, data string) bool {
	if m.ReplyMarkup == nil {
		return false
	}
	for _, row := range m.ReplyMarkup.InlineKeyboard {
		for _, b := range row {
			if b.CallbackData == data {
				return true
			}
		}
	}
	return false
}

// checkSender panics on combinations Telegram cannot produce.
func checkSender(from models.User, chat models.Chat) {
	if chat.Type == models.ChatTypePrivate && chat.ID != from.ID {
		panic(fmt.Sprintf("telegramtest: user %d cannot write in the private chat %d of another user", from.ID, chat.ID))
	}
	if from.ID == 0 {
		panic("telegramtest: user id is 0")
	}
}

func (s *Server) chatStateLocked(chat models.Chat) *chatState {
	cs := s.chats[chat.ID]
	if cs == nil {
		cs = &chatState{messages: map[int]*models.Message{}}
		s.chats[chat.ID] = cs
	}
	cs.chat = chat
	return cs
}

// queueLocked gives u the next update id and queues it, encoded once so
// every delivery sends the same bytes.
func (s *Server) queueLocked(u *models.Update) int64 {
	u.ID = s.nextUpdateID
	s.nextUpdateID++
	raw, err := json.Marshal(u)
	if err != nil {
		panic("telegramtest: encode update: " + err.Error())
	}
	s.updates = append(s.updates, queuedUpdate{id: u.ID, raw: raw})
	s.rememberLocked(u.ID, raw)
	s.notifyLocked()
	return u.ID
}

// queueRawLocked queues an update given as a JSON object, with the next
// update id.
func (s *Server) queueRawLocked(obj map[string]any) int64 {
	id := s.nextUpdateID
	s.nextUpdateID++
	obj["update_id"] = id
	raw, err := json.Marshal(obj)
	if err != nil {
		panic("telegramtest: encode update: " + err.Error())
	}
	s.updates = append(s.updates, queuedUpdate{id: id, raw: raw})
	s.notifyLocked()
	return id
}

// commandEntities finds bot commands ("/start", "/report@tsbot_test_bot")
// at the start of words. Offsets and lengths are in UTF-16 code units, as
// Telegram counts them; with Chinese text around a command that differs
// from byte and rune offsets.
func commandEntities(text string) []models.MessageEntity {
	var out []models.MessageEntity
	rs := []rune(text)
	off := 0
	for i := 0; i < len(rs); {
		if rs[i] != '/' || (i > 0 && !unicode.IsSpace(rs[i-1])) {
			off += utf16.RuneLen(rs[i])
			i++
			continue
		}
		j := i + 1
		for j < len(rs) && j-i <= 32 && isCommandRune(rs[j]) {
			j++
		}
		if j == i+1 {
			off++
			i++
			continue
		}
		if j < len(rs) && rs[j] == '@' {
			k := j + 1
			for k < len(rs) && isCommandRune(rs[k]) {
				k++
			}
			if k > j+1 {
				j = k
			}
		}
		n := len(utf16.Encode(rs[i:j]))
		out = append(out, models.MessageEntity{Type: models.MessageEntityTypeBotCommand, Offset: off, Length: n})
		off += n
		i = j
	}
	return out
}

func isCommandRune(r rune) bool {
	return r == '_' || (r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)))
}
