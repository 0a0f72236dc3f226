package dingtalk

// Files staff send the robot (a filled-in /template): a file message carries
// a downloadCode, not the file. The handler gets the file's name at once and
// a Fetch that, only when it decides to read the file, asks the robot API
// for a download URL (messageFiles/download) and fetches it, capped at the
// handler's limit: DingTalk declares no size.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"tsbot/bot"
)

// downloadTimeout bounds one file download (a 5 MB file on a slow link).
const downloadTimeout = time.Minute

// fileContent is the content of a file message.
type fileContent struct {
	DownloadCode string `json:"downloadCode"`
	FileName     string `json:"fileName"`
	FileID       string `json:"fileId"`
	SpaceID      string `json:"spaceId"`
}

// parseFileContent reads a file message's content, which the SDK leaves
// as decoded JSON of no fixed type.
func parseFileContent(content any) fileContent {
	var c fileContent
	if raw, err := json.Marshal(content); err == nil {
		json.Unmarshal(raw, &c) // a content of another shape leaves it empty
	}
	return c
}

// file is the handler's view of a file message.
func (a *Adapter) file(content any) *bot.File {
	c := parseFileContent(content)
	return &bot.File{Name: c.FileName, Fetch: func(ctx context.Context, limit int64) ([]byte, error) {
		return a.download(ctx, c.DownloadCode, limit)
	}}
}

// download fetches a file by its downloadCode, reading at most limit bytes
// (bot.ErrFileTooLarge beyond). Only the URL the robot API returned is
// fetched, without redirects, and over https (plain http only on the
// api_url's own host: a proxy, the tests' fake). No error quotes the URL,
// which is signed.
func (a *Adapter) download(ctx context.Context, code string, limit int64) ([]byte, error) {
	if code == "" {
		return nil, errors.New("dingtalk: file message without a downloadCode")
	}
	var out struct {
		DownloadURL string `json:"downloadUrl"`
	}
	err := a.api.robotCall(ctx, "/v1.0/robot/messageFiles/download",
		map[string]any{"downloadCode": code, "robotCode": a.api.robotCode}, &out)
	if err != nil {
		return nil, fmt.Errorf("dingtalk: file download URL: %w", err)
	}
	u, err := url.Parse(out.DownloadURL)
	if err != nil || u.Host == "" || !(u.Scheme == "https" || (u.Scheme == "http" && u.Host == a.apiHost())) {
		return nil, errors.New("dingtalk: file download: the API gave no usable URL")
	}
	ctx, cancel := context.WithTimeout(ctx, downloadTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, errors.New("dingtalk: file download: bad request")
	}
	hc := *a.http
	hc.Timeout = 0 // the context's
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // without the URL
		}
		return nil, fmt.Errorf("dingtalk: file download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("dingtalk: file download: HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > limit {
		return nil, bot.ErrFileTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("dingtalk: file download: read: %w", err)
	}
	if int64(len(body)) > limit {
		return nil, bot.ErrFileTooLarge
	}
	return body, nil
}
