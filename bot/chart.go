package bot

// /chart: the picture of the progress, per county done against target.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"tsbot/data"
	"tsbot/data/chart"
)

// msgNoFont answers /chart where no font draws Chinese: a chart of boxes
// helps nobody.
var msgNoFont = fmt.Sprintf("⚠️ 服务器上没有中文字体，无法生成进度图。请管理员安装：apt-get install %s（或在配置 chart.font 指定字体文件）。进度请先用 /status 查看。", chart.FontPackage)

// Pictures draws the picture of the progress, for /chart and the weekly
// digest, with one font read once for all of them: a CJK collection is tens
// of megabytes. A failure is not kept, so a font installed later is found by
// the next picture.
type Pictures struct {
	// Font is the CJK font file; "": the first installed of the usual
	// places (config chart.font).
	Font string

	mu sync.Mutex
	ft *chart.Font
}

func (p *Pictures) font() (*chart.Font, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ft != nil {
		return p.ft, nil
	}
	ft, err := chart.LoadFont(p.Font)
	if err != nil {
		return nil, err
	}
	p.ft = ft
	return ft, nil
}

// Progress draws every county's standing at now, done against target, as a
// PNG, and says the moment it shows ("9月20日 09:30"). chart.ErrNoFont: no
// font on this machine draws Chinese.
func (p *Pictures) Progress(ctx context.Context, store *data.Store, c *data.Campaign, now time.Time) (Document, string, error) {
	ft, err := p.font()
	if err != nil {
		if !errors.Is(err, chart.ErrNoFont) { // the configured file is unreadable: no font either
			err = fmt.Errorf("%w: %w", chart.ErrNoFont, err)
		}
		return Document{}, "", err
	}
	done, err := store.Totals(ctx)
	if err != nil {
		return Document{}, "", fmt.Errorf("bot: chart: %w", err)
	}
	now = now.In(c.Location)
	asOf := now.Format("1月2日 15:04")
	var buf bytes.Buffer
	in := chart.Input{Title: c.Name, AsOf: asOf, Standing: data.StandCity(c, done)}
	if err := chart.PNG(&buf, ft, in); err != nil {
		return Document{}, "", fmt.Errorf("bot: chart: %w", err)
	}
	return Document{Name: "进度图-" + now.Format("20060102-1504") + ".png", Data: buf.Bytes()}, asOf, nil
}

// chart answers /chart with the PNG of every county's standing.
func (h *Handler) chart(ctx context.Context, m Message) Reply {
	m.working(WorkDocument)
	pic, asOf, err := h.Pictures.Progress(ctx, h.Store, h.Campaign, h.Now())
	switch {
	case errors.Is(err, chart.ErrNoFont):
		h.Log.Warn("chart: no CJK font", slog.String("font", h.Pictures.Font), slog.Any("err", err))
		return Reply{Text: msgNoFont}
	case err != nil:
		h.Log.Error("chart failed", slog.String("font", h.Pictures.Font), slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	return Reply{
		Text:  fmt.Sprintf("📊 各区县进度图（完成/目标），截至%s。空框为目标，实心条为完成。", asOf),
		Photo: &pic,
	}
}
