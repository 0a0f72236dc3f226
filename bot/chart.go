package bot

// /chart: the picture of the progress, per county done against target.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"tsbot/data"
	"tsbot/data/chart"
)

// msgNoFont answers /chart where no font draws Chinese: a chart of boxes
// helps nobody.
var msgNoFont = fmt.Sprintf("⚠️ 服务器上没有中文字体，无法生成进度图。请管理员安装：apt-get install %s（或在配置 chart.font 指定字体文件）。进度请先用 /status 查看。", chart.FontPackage)

// chartFont is the font /chart draws with, read once: a CJK collection is
// tens of megabytes. A failure is not kept, so a font installed later is
// found by the next /chart.
type chartFont struct {
	mu sync.Mutex
	ft *chart.Font
}

func (c *chartFont) load(path string) (*chart.Font, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ft != nil {
		return c.ft, nil
	}
	ft, err := chart.LoadFont(path)
	if err != nil {
		return nil, err
	}
	c.ft = ft
	return ft, nil
}

// chart answers /chart with the PNG of every county's standing.
func (h *Handler) chart(ctx context.Context, m Message) Reply {
	ft, err := h.chartFont.load(h.ChartFont)
	if err != nil {
		if errors.Is(err, chart.ErrNoFont) {
			h.Log.Warn("chart: no CJK font", slog.String("font", h.ChartFont), slog.Any("err", err))
		} else {
			h.Log.Error("chart: font failed", slog.String("font", h.ChartFont), slog.Any("err", err))
		}
		return Reply{Text: msgNoFont}
	}
	done, err := h.Store.Totals(ctx)
	if err != nil {
		h.Log.Error("totals failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	m.working(WorkDocument)
	now := h.Now().In(h.Campaign.Location)
	asOf := now.Format("1月2日 15:04")
	var buf bytes.Buffer
	in := chart.Input{Title: h.Campaign.Name, AsOf: asOf, Standing: data.StandCity(h.Campaign, done)}
	if err := chart.PNG(&buf, ft, in); err != nil {
		h.Log.Error("chart failed", slog.Any("err", err))
		return Reply{Text: msgInternal}
	}
	return Reply{
		Text:  fmt.Sprintf("📊 各区县进度图（完成/目标），截至%s。空框为目标，实心条为完成。", asOf),
		Photo: &Document{Name: "进度图-" + now.Format("20060102-1504") + ".png", Data: buf.Bytes()},
	}
}
