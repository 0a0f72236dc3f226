package bot

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/font/gofont/goregular"

	"tsbot/data"
	"tsbot/data/chart"
)

// skipWithoutCJK skips a test that needs a CJK font, saying what to install.
func skipWithoutCJK(tb testing.TB) {
	tb.Helper()
	if _, err := chart.LoadFont(""); errors.Is(err, chart.ErrNoFont) {
		tb.Skipf("no CJK font installed (apt-get install %s): %v", chart.FontPackage, err)
	}
}

func TestChart(t *testing.T) {
	skipWithoutCJK(t)
	f := newFixture(t)
	f.say(keqiao, "柯桥 辅导企业 +3")
	for _, user := range []int64{admin, keqiao, viewer} {
		r := f.say(user, "/chart")
		if r.Photo == nil || r.Document != nil {
			t.Fatalf("/chart by %d: %+v, want a photo", user, r)
		}
		if !strings.HasPrefix(r.Text, "📊 各区县进度图") || !strings.Contains(r.Text, "截至9月20日 09:30") {
			t.Errorf("caption %q", r.Text)
		}
		if !strings.HasSuffix(r.Photo.Name, ".png") {
			t.Errorf("name %q", r.Photo.Name)
		}
		img, err := png.Decode(bytes.NewReader(r.Photo.Data))
		if err != nil {
			t.Fatalf("not a PNG: %v", err)
		}
		if got, want := img.Bounds().Size(), image.Pt(chart.Width, chart.Height(6)); got != want {
			t.Errorf("size %v, want %v", got, want)
		}
	}
}

// Without a font that draws Chinese, /chart says what to install rather
// than send a picture of boxes; a font installed later is found.
func TestChartWithoutCJKFont(t *testing.T) {
	latin := filepath.Join(t.TempDir(), "Go-Regular.ttf")
	if err := os.WriteFile(latin, goregular.TTF, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, font string }{
		{name: "latin only", font: latin},
		{name: "missing file", font: filepath.Join(t.TempDir(), "gone.ttc")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.h.Pictures = &Pictures{Font: tc.font}
			r := f.say(viewer, "/chart")
			if r.Photo != nil || !strings.Contains(r.Text, "apt-get install fonts-noto-cjk") {
				t.Fatalf("reply %+v, want what to install", r)
			}
		})
	}
}

// BenchmarkChart is /chart end to end (totals, standing, drawing, PNG) for
// the six counties and for a campaign of 90.
func BenchmarkChart(b *testing.B) {
	skipWithoutCJK(b)
	for _, n := range []int{6, 90} {
		b.Run(fmt.Sprintf("counties_%d", n), func(b *testing.B) {
			f := newBenchFixture(b)
			c := *f.h.Campaign
			for i := len(c.Counties); i < n; i++ {
				c.Counties = append(c.Counties, data.County{Name: fmt.Sprintf("县%d", i+1), Target: data.Counts{i % 2, 1, 7, 20}})
			}
			f.h.Campaign = &c
			seedEntries(b, f, n*15)
			f.h.Handle(b.Context(), Message{UserID: viewer, ChatID: viewer, Text: "/chart"}) // reads the font
			for b.Loop() {
				if r := f.h.Handle(b.Context(), Message{UserID: viewer, ChatID: viewer, Text: "/chart"}); r.Photo == nil {
					b.Fatalf("reply %q", r.Text)
				}
			}
		})
	}
}
