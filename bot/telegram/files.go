package telegram

// Documents users send (a filled-in /template): the handler gets the
// file's name and size at once, and a Fetch that downloads it through
// getFile and the file URL only when it decides to read it.

import (
	"context"
	"fmt"
	"io"
	"net/http"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"tsbot/bot"
)

// file is the handler's view of a document.
func (t *Adapter) file(d *models.Document) *bot.File {
	id := d.FileID
	return &bot.File{Name: d.FileName, Size: d.FileSize, Fetch: func(ctx context.Context, limit int64) ([]byte, error) {
		return t.download(ctx, id, limit)
	}}
}

// download fetches a file by its id, reading at most limit bytes. The
// download URL holds the token: no error carries it.
func (t *Adapter) download(ctx context.Context, fileID string, limit int64) ([]byte, error) {
	f, err := t.api.GetFile(ctx, &tgbot.GetFileParams{FileID: fileID})
	if err != nil {
		return nil, fmt.Errorf("telegram: getFile: %w", redact(err, t.cfg.Token))
	}
	if f.FileSize > limit {
		return nil, bot.ErrFileTooLarge
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.api.FileDownloadLink(f), nil)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %w", redact(err, t.cfg.Token))
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %w", redact(err, t.cfg.Token))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("telegram: download: HTTP %d", resp.StatusCode)
	}
	if resp.ContentLength > limit {
		return nil, bot.ErrFileTooLarge
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("telegram: download: %w", redact(err, t.cfg.Token))
	}
	if int64(len(body)) > limit {
		return nil, bot.ErrFileTooLarge
	}
	return body, nil
}
