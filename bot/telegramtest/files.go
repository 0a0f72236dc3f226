package telegramtest

// Files users send: a document injected with SendDocument is kept, getFile
// gives its file_path, and GET /file/bot{token}/{file_path} serves its
// bytes, as Telegram's file download does.

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/go-telegram/bot/models"
)

// Upload is a document a user sends.
type Upload struct {
	Name    string
	Data    []byte
	Caption string
	// Declared is the file_size the message declares; 0: len(Data). A
	// test sets it to see a size refused before the download.
	Declared int64
}

// storedFile is a file the fake can serve.
type storedFile struct {
	id, path string
	data     []byte
}

// SendDocument has from send a document in chat and queues the message
// update; the file can be fetched with getFile and the download URL.
func (s *Server) SendDocument(from models.User, chat models.Chat, up Upload) (updateID int64, messageID int) {
	checkSender(from, chat)
	s.mu.Lock()
	m := s.newMessageLocked(from, chat, 0, "")
	m.Caption = up.Caption
	s.nextFileID++
	n := strconv.Itoa(s.nextFileID)
	f := storedFile{id: "BQACAgUAAxkBAAI" + n, path: "documents/file_" + n + pathExt(up.Name), data: up.Data}
	if s.files == nil {
		s.files = map[string]storedFile{}
	}
	s.files[f.id] = f
	size := up.Declared
	if size == 0 {
		size = int64(len(up.Data))
	}
	m.Document = &models.Document{FileID: f.id, FileUniqueID: "AgAD" + n, FileName: up.Name, FileSize: size,
		MimeType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
	updateID = s.queueLocked(&models.Update{Message: m})
	s.mu.Unlock()
	s.deliverSoon()
	return updateID, m.ID
}

func pathExt(name string) string {
	if i := strings.LastIndexByte(name, '.'); i >= 0 && !strings.ContainsAny(name[i:], "/\\") {
		return name[i:]
	}
	return ""
}

// getFile answers the file_path of a file a user sent.
func (s *Server) getFile(p params) (any, *apiError) {
	f, ok := s.files[p.values["file_id"]]
	if !ok {
		return nil, badRequest("invalid file_id")
	}
	return &models.File{FileID: f.id, FileUniqueID: f.id, FileSize: int64(len(f.data)), FilePath: f.path}, nil
}

// serveFile answers a download, recorded as a call of the method
// "downloadFile" with the file_path as its "path" parameter.
func (s *Server) serveFile(w http.ResponseWriter, token, path string) {
	s.mu.Lock()
	s.calls = append(s.calls, Call{Method: "downloadFile", Params: map[string]string{"path": path}})
	idx := len(s.calls) - 1
	var data []byte
	found := false
	if token == Token {
		for _, f := range s.files {
			if f.path == path {
				data, found = f.data, true
			}
		}
	}
	status := http.StatusOK
	if !found {
		status = http.StatusNotFound
	}
	s.calls[idx].Status = status
	s.notifyLocked()
	s.mu.Unlock()
	if !found {
		http.Error(w, "Not Found", status)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	_, _ = w.Write(data)
}
