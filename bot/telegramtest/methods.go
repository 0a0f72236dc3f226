package telegramtest

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/jpeg" // sendPhoto reads the pictures it is sent
	_ "image/png"
	"mime"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// handler performs one Bot API method with s.mu held.
type handler func(s *Server, p params) (any, *apiError)

// handlers are the methods the fake implements besides getUpdates, which
// blocks and so cannot run under the lock.
var handlers = map[string]handler{
	"getMe":                  (*Server).getMe,
	"deleteWebhook":          (*Server).deleteWebhook,
	"setWebhook":             (*Server).setWebhook,
	"getWebhookInfo":         (*Server).getWebhookInfo,
	"setMyCommands":          (*Server).setMyCommands,
	"deleteMyCommands":       (*Server).deleteMyCommands,
	"sendMessage":            (*Server).sendMessage,
	"editMessageText":        (*Server).editMessageText,
	"editMessageReplyMarkup": (*Server).editMessageReplyMarkup,
	"answerCallbackQuery":    (*Server).answerCallbackQuery,
	"sendDocument":           (*Server).sendDocument,
	"sendPhoto":              (*Server).sendPhoto,
	"sendChatAction":         (*Server).sendChatAction,
	"getFile":                (*Server).getFile,
}

// canonical maps lower-cased method names to their canonical spelling,
// because Telegram matches method names case-insensitively.
var canonical = func() map[string]string {
	m := map[string]string{"getupdates": "getUpdates"}
	for name := range handlers {
		m[strings.ToLower(name)] = name
	}
	return m
}()

func canonicalMethod(name string) string {
	if c, ok := canonical[strings.ToLower(name)]; ok {
		return c
	}
	return name
}

// getUpdates serves a (long) poll. Calling it with an offset confirms every
// update below that offset for good; updates at or above it are delivered
// again and again until confirmed.
func (s *Server) getUpdates(w http.ResponseWriter, r *http.Request, idx int, p params) {
	offset, ok1 := p.int64("offset")
	limit, ok2 := p.int("limit")
	timeout, ok3 := p.int("timeout")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !ok1 || !ok2 || !ok3 {
		s.answerLocked(w, idx, nil, badRequest("wrong parameter in getUpdates request"))
		return
	}
	if s.webhookURL != "" {
		s.answerLocked(w, idx, nil, &apiError{code: http.StatusConflict,
			description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"})
		return
	}
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	s.confirmLocked(offset)
	s.pollGen++
	gen := s.pollGen
	s.notifyLocked()

	var deadline <-chan time.Time
	if timeout > 0 {
		t := time.NewTimer(time.Duration(timeout) * time.Second)
		defer t.Stop()
		deadline = t.C
	}
	for {
		if gen != s.pollGen {
			s.answerLocked(w, idx, nil, &apiError{code: http.StatusConflict,
				description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"})
			return
		}
		if len(s.updates) > 0 || deadline == nil || s.closed {
			break
		}
		ch := s.changed
		s.mu.Unlock()
		select {
		case <-ch:
		case <-deadline:
			deadline = nil
		case <-r.Context().Done():
			deadline = nil
		}
		s.mu.Lock()
	}
	n := min(limit, len(s.updates))
	result := make([]json.RawMessage, n)
	for i := range n {
		result[i] = s.updates[i].raw
		s.updates[i].again = false // served: the next offset confirms it
	}
	s.answerLocked(w, idx, result, nil)
}

// confirmLocked applies getUpdates' offset: a positive offset forgets every
// update below it; a negative one keeps only the last -offset updates.
func (s *Server) confirmLocked(offset int64) {
	switch {
	case offset > 0:
		if s.redeliverLocked(offset) {
			return
		}
		i := 0
		for i < len(s.updates) && s.updates[i].id < offset {
			i++
		}
		s.dropLocked(i)
		s.offset = max(s.offset, offset)
	case offset < 0:
		if keep := int(-offset); len(s.updates) > keep {
			s.dropLocked(len(s.updates) - keep)
		}
	}
}

// dropLocked forgets the first n queued updates.
func (s *Server) dropLocked(n int) {
	if n == 0 {
		return
	}
	s.offset = max(s.offset, s.updates[n-1].id+1)
	s.updates = append([]queuedUpdate(nil), s.updates[n:]...)
	s.notifyLocked()
}

func (s *Server) getMe(params) (any, *apiError) {
	u := BotUser
	return &u, nil
}

func (s *Server) sendMessage(p params) (any, *apiError) {
	cs, aerr := s.chatLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	text := p.values["text"]
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("message text is empty")
	}
	if utf8.RuneCountInString(text) > 4096 {
		return nil, badRequest("message is too long")
	}
	m := s.newBotMessageLocked(cs)
	m.Text = text
	if aerr := p.jsonValue("entities", &m.Entities); aerr != nil {
		return nil, aerr
	}
	if aerr := s.replyLocked(cs, p, m); aerr != nil {
		return nil, aerr
	}
	kb, aerr := inlineKeyboard(p)
	if aerr != nil {
		return nil, aerr
	}
	m.ReplyMarkup = kb
	cs.messages[m.ID] = m
	return m, nil
}

func (s *Server) sendDocument(p params) (any, *apiError) {
	cs, aerr := s.chatLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	doc := &models.Document{}
	ref := p.values["document"]
	f, uploaded := p.files["document"]
	if name, ok := strings.CutPrefix(ref, "attach://"); ok {
		f, uploaded = p.files[name]
	}
	switch {
	case uploaded:
		if len(f.Data) == 0 {
			return nil, badRequest("file must be non-empty")
		}
		s.nextFileID++
		doc.FileID = "BQACAgIAAxkDAAI" + strconv.Itoa(s.nextFileID)
		doc.FileUniqueID = "AgAD" + strconv.Itoa(s.nextFileID)
		doc.FileName = f.Name
		doc.MimeType = mime.TypeByExtension(path.Ext(f.Name))
		doc.FileSize = int64(len(f.Data))
	case ref != "":
		// A file_id or URL of a file Telegram already has; the fake has no
		// file store, so it echoes the reference.
		doc.FileID = ref
		doc.FileUniqueID = ref
	default:
		return nil, badRequest("there is no document in the request")
	}
	return s.fileMessageLocked(cs, p, func(m *models.Message) { m.Document = doc })
}

// maxPhoto is Telegram's limit on an uploaded photo, in bytes.
const maxPhoto = 10 << 20

// sendPhoto sends a picture. Like Telegram, it refuses what is not an image,
// one over 10 MB, and one whose width and height add up to more than 10000
// or whose sides differ more than twentyfold.
func (s *Server) sendPhoto(p params) (any, *apiError) {
	cs, aerr := s.chatLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	ref := p.values["photo"]
	f, uploaded := p.files["photo"]
	if name, ok := strings.CutPrefix(ref, "attach://"); ok {
		f, uploaded = p.files[name]
	}
	var size models.PhotoSize
	switch {
	case uploaded:
		if len(f.Data) > maxPhoto {
			return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
		}
		cfg, _, err := image.DecodeConfig(bytes.NewReader(f.Data))
		if err != nil {
			return nil, badRequest("IMAGE_PROCESS_FAILED")
		}
		if cfg.Width+cfg.Height > 10000 || max(cfg.Width, cfg.Height) > 20*min(cfg.Width, cfg.Height) {
			return nil, badRequest("PHOTO_INVALID_DIMENSIONS")
		}
		s.nextFileID++
		size = models.PhotoSize{FileID: "AgACAgIAAxkDAAI" + strconv.Itoa(s.nextFileID), FileUniqueID: "AQAD" + strconv.Itoa(s.nextFileID),
			Width: cfg.Width, Height: cfg.Height, FileSize: len(f.Data)}
	case ref != "":
		size = models.PhotoSize{FileID: ref, FileUniqueID: ref}
	default:
		return nil, badRequest("there is no photo in the request")
	}
	return s.fileMessageLocked(cs, p, func(m *models.Message) { m.Photo = []models.PhotoSize{size} })
}

// fileMessageLocked posts the bot's message carrying a file (set by attach)
// with its caption, reply and keyboard, as sendDocument and sendPhoto do.
func (s *Server) fileMessageLocked(cs *chatState, p params, attach func(*models.Message)) (any, *apiError) {
	if utf8.RuneCountInString(p.values["caption"]) > 1024 {
		return nil, badRequest("message caption is too long")
	}
	m := s.newBotMessageLocked(cs)
	attach(m)
	m.Caption = p.values["caption"]
	if aerr := s.replyLocked(cs, p, m); aerr != nil {
		return nil, aerr
	}
	kb, aerr := inlineKeyboard(p)
	if aerr != nil {
		return nil, aerr
	}
	m.ReplyMarkup = kb
	cs.messages[m.ID] = m
	return m, nil
}

// editMessageText replaces a bot message's text. Like Telegram, it also
// replaces the inline keyboard: leaving reply_markup out removes it.
func (s *Server) editMessageText(p params) (any, *apiError) {
	old, cs, aerr := s.editableLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	text := p.values["text"]
	if strings.TrimSpace(text) == "" {
		return nil, badRequest("message text is empty")
	}
	if old.Text == "" {
		return nil, badRequest("there is no text in the message to edit")
	}
	kb, aerr := inlineKeyboard(p)
	if aerr != nil {
		return nil, aerr
	}
	if text == old.Text && sameKeyboard(kb, old.ReplyMarkup) {
		return nil, notModified()
	}
	m := *old // stored messages are never mutated: others may hold them
	m.Text = text
	m.Entities = nil
	if aerr := p.jsonValue("entities", &m.Entities); aerr != nil {
		return nil, aerr
	}
	m.ReplyMarkup = kb
	m.EditDate = int(s.now().Unix())
	cs.messages[m.ID] = &m
	return &m, nil
}

// editMessageReplyMarkup replaces a bot message's inline keyboard; leaving
// reply_markup out removes it.
func (s *Server) editMessageReplyMarkup(p params) (any, *apiError) {
	old, cs, aerr := s.editableLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	kb, aerr := inlineKeyboard(p)
	if aerr != nil {
		return nil, aerr
	}
	if sameKeyboard(kb, old.ReplyMarkup) {
		return nil, notModified()
	}
	m := *old
	m.ReplyMarkup = kb
	m.EditDate = int(s.now().Unix())
	cs.messages[m.ID] = &m
	return &m, nil
}

func notModified() *apiError {
	return badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
}

func (s *Server) answerCallbackQuery(p params) (any, *apiError) {
	id := p.values["callback_query_id"]
	answered, ok := s.queries[id]
	if !ok || answered {
		return nil, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if utf8.RuneCountInString(p.values["text"]) > 200 {
		return nil, badRequest("MESSAGE_TOO_LONG")
	}
	s.queries[id] = true
	return true, nil
}

var chatActions = map[string]bool{
	"typing": true, "upload_photo": true, "record_video": true, "upload_video": true,
	"record_voice": true, "upload_voice": true, "upload_document": true, "choose_sticker": true,
	"find_location": true, "record_video_note": true, "upload_video_note": true,
}

func (s *Server) sendChatAction(p params) (any, *apiError) {
	if _, aerr := s.chatLocked(p); aerr != nil {
		return nil, aerr
	}
	if !chatActions[p.values["action"]] {
		return nil, badRequest("wrong parameter action in request")
	}
	return true, nil
}

// commandName is what Telegram accepts as a command: lower case only, a
// common way to get setMyCommands refused.
var commandName = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(p params) (any, *apiError) {
	var cmds []models.BotCommand
	if _, ok := p.values["commands"]; !ok {
		return nil, badRequest("parameter \"commands\" is required")
	}
	if aerr := p.jsonValue("commands", &cmds); aerr != nil {
		return nil, aerr
	}
	if len(cmds) > 100 {
		return nil, badRequest("too many commands specified")
	}
	for _, c := range cmds {
		if !commandName.MatchString(c.Command) {
			return nil, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n < 1 || n > 256 {
			return nil, badRequest("command description is empty")
		}
	}
	key, aerr := s.scopeLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	if s.menus == nil {
		s.menus = map[string][]models.BotCommand{}
	}
	s.menus[key] = cmds
	return true, nil
}

func (s *Server) deleteMyCommands(p params) (any, *apiError) {
	key, aerr := s.scopeLocked(p)
	if aerr != nil {
		return nil, aerr
	}
	delete(s.menus, key)
	return true, nil
}

// scopeLocked reads a command menu's scope as the key Menu takes:
// "default", "all_private_chats", "all_group_chats",
// "all_chat_administrators", or "chat:<id>" for one chat, which, as with
// Telegram, must be a chat the bot knows (a private chat: the person has
// written to the bot).
func (s *Server) scopeLocked(p params) (string, *apiError) {
	var scope struct {
		Type   string          `json:"type"`
		ChatID json.RawMessage `json:"chat_id"`
		UserID int64           `json:"user_id"`
	}
	if _, ok := p.values["scope"]; !ok {
		return "default", nil
	}
	if aerr := p.jsonValue("scope", &scope); aerr != nil {
		return "", aerr
	}
	switch scope.Type {
	case "default", "all_private_chats", "all_group_chats", "all_chat_administrators":
		return scope.Type, nil
	case "chat":
		id, err := strconv.ParseInt(strings.Trim(string(scope.ChatID), `"`), 10, 64)
		if err != nil {
			return "", badRequest("invalid chat_id in scope")
		}
		if _, ok := s.chats[id]; !ok {
			return "", badRequest("chat not found")
		}
		return "chat:" + strconv.FormatInt(id, 10), nil
	}
	return "", badRequest("wrong parameter scope type")
}

// chatLocked resolves chat_id to a chat the bot may write to: one the fake
// has seen (an injected update or AddChat). Telegram likewise refuses chats
// the bot has never been in.
func (s *Server) chatLocked(p params) (*chatState, *apiError) {
	raw := strings.TrimSpace(p.values["chat_id"])
	if raw == "" {
		return nil, badRequest("chat_id is empty")
	}
	if name, ok := strings.CutPrefix(raw, "@"); ok {
		for _, cs := range s.chats {
			if cs.chat.Username != "" && strings.EqualFold(cs.chat.Username, name) {
				return cs, nil
			}
		}
		return nil, badRequest("chat not found")
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return nil, badRequest("chat not found")
	}
	cs, ok := s.chats[id]
	if !ok {
		return nil, badRequest("chat not found")
	}
	return cs, nil
}

// editableLocked finds the bot message an edit method targets.
func (s *Server) editableLocked(p params) (*models.Message, *chatState, *apiError) {
	if p.values["inline_message_id"] != "" {
		return nil, nil, badRequest("MESSAGE_ID_INVALID")
	}
	cs, aerr := s.chatLocked(p)
	if aerr != nil {
		return nil, nil, aerr
	}
	id, ok := p.int("message_id")
	m := cs.messages[id]
	if !ok || m == nil {
		return nil, nil, badRequest("message to edit not found")
	}
	if m.From == nil || m.From.ID != BotID {
		return nil, nil, badRequest("message can't be edited")
	}
	return m, cs, nil
}

// replyLocked fills reply_to_message from reply_parameters (or the older
// reply_to_message_id). Like Telegram, the replied-to message is included
// without its own reply_to_message.
func (s *Server) replyLocked(cs *chatState, p params, m *models.Message) *apiError {
	var rp models.ReplyParameters
	if aerr := p.jsonValue("reply_parameters", &rp); aerr != nil {
		return aerr
	}
	if rp.MessageID == 0 {
		id, ok := p.int("reply_to_message_id")
		if !ok {
			return badRequest("wrong reply_to_message_id")
		}
		rp.MessageID = id
		rp.AllowSendingWithoutReply = p.bool("allow_sending_without_reply")
	}
	if rp.MessageID == 0 {
		return nil
	}
	target := cs.messages[rp.MessageID]
	if target == nil {
		if rp.AllowSendingWithoutReply {
			return nil
		}
		return badRequest("message to be replied not found")
	}
	quoted := *target
	quoted.ReplyToMessage = nil
	m.ReplyToMessage = &quoted
	return nil
}

// inlineKeyboard reads reply_markup. Only an inline keyboard is part of
// the Message Telegram returns; reply keyboards, ForceReply and
// ReplyKeyboardRemove act on the user's client and are not echoed.
func inlineKeyboard(p params) (*models.InlineKeyboardMarkup, *apiError) {
	var probe struct {
		InlineKeyboard json.RawMessage `json:"inline_keyboard"`
	}
	if aerr := p.jsonValue("reply_markup", &probe); aerr != nil {
		return nil, aerr
	}
	if probe.InlineKeyboard == nil {
		return nil, nil
	}
	var kb models.InlineKeyboardMarkup
	if aerr := p.jsonValue("reply_markup", &kb); aerr != nil {
		return nil, aerr
	}
	if len(kb.InlineKeyboard) == 0 {
		// Telegram does not show, nor return, an empty keyboard.
		return nil, nil
	}
	return &kb, nil
}

func sameKeyboard(a, b *models.InlineKeyboardMarkup) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

func (s *Server) newBotMessageLocked(cs *chatState) *models.Message {
	u := BotUser
	cs.lastID++
	return &models.Message{
		ID:   cs.lastID,
		From: &u,
		Date: int(s.now().Unix()),
		Chat: cs.chat,
	}
}
