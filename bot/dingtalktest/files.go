package dingtalktest

// Files both ways: the media the bot uploads (the /export spreadsheet, the
// /chart picture) and the files staff send it (messageFiles/download, then
// the download URL), served on this server.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Upload is one file the bot uploaded as media.
type Upload struct {
	MediaID string
	Type    string // the type query parameter: "file"
	Name    string // the multipart file name
	Data    []byte
}

// FailUploads makes the next n media uploads fail (errcode 40004).
func (s *Server) FailUploads(n int) {
	s.mu.Lock()
	s.failUpload += n
	s.mu.Unlock()
}

// Uploads lists the files uploaded, in order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Upload(nil), s.uploads...)
}

// Media is the content of an uploaded media id.
func (s *Server) Media(id string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.uploads {
		if u.MediaID == id {
			return u.Data, true
		}
	}
	return nil, false
}

// upload is oapi's media upload: access_token and type in the query, the
// file in the multipart field "media".
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	exp, ok := s.tokens[q.Get("access_token")]
	fail := s.failUpload > 0
	if fail {
		s.failUpload--
	}
	s.mu.Unlock()
	if !ok || time.Now().After(exp) {
		writeJSON(w, 200, map[string]any{"errcode": 40014, "errmsg": "不合法的access_token"})
		return
	}
	if fail {
		writeJSON(w, 200, map[string]any{"errcode": 40004, "errmsg": "不合法的媒体文件类型 (injected)"})
		return
	}
	f, h, err := r.FormFile("media")
	if err != nil || q.Get("type") == "" {
		writeJSON(w, 200, map[string]any{"errcode": 40005, "errmsg": "缺少media或type"})
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, 20<<20))
	if err != nil {
		writeJSON(w, 200, map[string]any{"errcode": 40005, "errmsg": "read failed"})
		return
	}
	s.mu.Lock()
	s.seq++
	u := Upload{MediaID: fmt.Sprintf("@media-%d", s.seq), Type: q.Get("type"), Name: h.Filename, Data: data}
	s.uploads = append(s.uploads, u)
	s.notify()
	s.mu.Unlock()
	writeJSON(w, 200, map[string]any{"errcode": 0, "errmsg": "ok", "type": u.Type, "media_id": u.MediaID, "created_at": time.Now().UnixMilli()})
}

// sentFile is the file of a file message, as the download serves it.
type sentFile struct {
	data    []byte
	unsized bool
	size    int64 // len(data) and the zeros after it
}

// FailDownloads makes the next n messageFiles/download calls fail with
// status and code (500, 429, or 403 "90020").
func (s *Server) FailDownloads(status int, code string, n int) {
	s.mu.Lock()
	for range n {
		s.failFiles = append(s.failFiles, failure{status, code})
	}
	s.mu.Unlock()
}

// DownloadCalls is how many messageFiles/download calls came.
func (s *Server) DownloadCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fileCalls
}

// FileGets is how many times a download URL was fetched.
func (s *Server) FileGets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fileGets
}

// messageFile is the robot API's messageFiles/download: the access token in
// the header, the downloadCode of a file message and the robot code in the
// body; it answers a download URL on this server.
func (s *Server) messageFile(w http.ResponseWriter, r *http.Request) {
	tok := r.Header.Get("x-acs-dingtalk-access-token")
	var req struct {
		DownloadCode string `json:"downloadCode"`
		RobotCode    string `json:"robotCode"`
	}
	bad := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req) != nil
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fileCalls++
	s.notify()
	if exp, ok := s.tokens[tok]; !ok || time.Now().After(exp) {
		writeJSON(w, 401, map[string]string{"code": "InvalidAuthentication", "message": "不合法的access_token"})
		return
	}
	if len(s.failFiles) > 0 {
		f := s.failFiles[0]
		s.failFiles = s.failFiles[1:]
		writeJSON(w, f.status, map[string]string{"code": f.code, "message": "injected failure"})
		return
	}
	f, ok := s.files[req.DownloadCode]
	if bad || !ok || req.RobotCode != s.ClientID {
		writeJSON(w, 400, map[string]string{"code": "InvalidParameter", "message": "downloadCode or robotCode is wrong"})
		return
	}
	s.seq++
	key := fmt.Sprintf("k%d-%x", s.seq, time.Now().UnixNano())
	s.fileURLs[key] = f
	base := s.fileBase
	if base == "" {
		base = "http://" + r.Host
	}
	writeJSON(w, 200, map[string]string{"downloadUrl": base + "/files/" + key})
}

// FileURLBase makes the download URLs handed out from now on point at base
// (another server: the bot must not fetch it); "" is this server.
func (s *Server) FileURLBase(base string) {
	s.mu.Lock()
	s.fileBase = base
	s.mu.Unlock()
}

// RedirectFiles makes the download URLs answer a redirect to base + their
// path (the bot must not follow it); "" serves them again.
func (s *Server) RedirectFiles(base string) {
	s.mu.Lock()
	s.fileMoved = base
	s.mu.Unlock()
}

// serveFile serves a download URL messageFile gave out.
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	f, ok := s.fileURLs[r.PathValue("key")]
	s.fileGets++
	moved := s.fileMoved
	s.notify()
	s.mu.Unlock()
	if moved != "" {
		http.Redirect(w, r, moved+r.URL.Path, http.StatusFound)
		return
	}
	if !ok {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if f.unsized {
		w.(http.Flusher).Flush() // chunked: no Content-Length
	} else {
		w.Header().Set("Content-Length", strconv.FormatInt(f.size, 10))
	}
	var written int64
	defer func() {
		s.mu.Lock()
		s.fileBytes += written
		s.fileEnds++
		s.notify()
		s.mu.Unlock()
	}()
	n, err := w.Write(f.data)
	written += int64(n)
	zeros := make([]byte, 64<<10)
	for err == nil && written < f.size {
		n, err = w.Write(zeros[:min(int64(len(zeros)), f.size-written)])
		written += int64(n)
	}
}

// FileBytesServed waits until every download URL fetched so far was served
// to its end or given up by the bot, and returns the bytes written in all;
// false if that took longer than timeout.
func (s *Server) FileBytesServed(timeout time.Duration) (int64, bool) {
	ok := s.wait(timeout, func() bool { return s.fileEnds >= s.fileGets })
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fileBytes, ok
}
