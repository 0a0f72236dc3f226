package chart

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"strings"
	"testing"

	"tsbot/data"
)

var out = flag.String("png", "", "write the six-county chart to this file, to look at")

// cjk is the installed CJK font; the test is skipped, saying what to
// install, when there is none.
func cjk(tb testing.TB) *Font {
	tb.Helper()
	ft, err := LoadFont(os.Getenv("TSBOT_CHART_FONT"))
	if errors.Is(err, ErrNoFont) {
		tb.Skipf("no CJK font installed (apt-get install %s, or set TSBOT_CHART_FONT): %v", FontPackage, err)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return ft
}

// sixCounties is the Shaoxing campaign part way through: 越城 has its zone,
// 柯桥 is over its tutoring target, 嵊州 has nothing yet.
func sixCounties(tb testing.TB) (*data.Campaign, data.CityStanding) {
	tb.Helper()
	c, err := data.DefaultConfig().BuildCampaign()
	if err != nil {
		tb.Fatal(err)
	}
	done := map[string]data.Counts{
		"越城": {1, 0, 3, 12},
		"柯桥": {0, 1, 7, 26},
		"上虞": {0, 0, 2, 8},
		"诸暨": {0, 1, 5, 20},
		"新昌": {0, 0, 1, 3},
	}
	return &c, data.StandCity(&c, done)
}

// manyCounties is a campaign of n counties with made-up figures.
func manyCounties(n int) data.CityStanding {
	c := &data.Campaign{Name: "测试"}
	done := map[string]data.Counts{}
	for i := range n {
		name := fmt.Sprintf("县%d", i+1)
		c.Counties = append(c.Counties, data.County{Name: name, Target: data.Counts{i % 2, 1, 7, 20}})
		done[name] = data.Counts{i % 3 % 2, i % 2, i % 9, (i * 7) % 31}
	}
	return data.StandCity(c, done)
}

func TestPNG(t *testing.T) {
	ft := cjk(t)
	c, cs := sixCounties(t)
	var buf bytes.Buffer
	if err := PNG(&buf, ft, Input{Title: c.Name, AsOf: "12月1日 12:00", Standing: cs}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("the chart does not decode as a PNG: %v", err)
	}
	if got, want := img.Bounds().Size(), image.Pt(Width, Height(6)); got != want {
		t.Errorf("size %v, want %v", got, want)
	}
	if Width < 1080 {
		t.Errorf("width %d: a phone needs at least 1080 px", Width)
	}
	if *out != "" {
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// Every text on the chart is drawn with glyphs the font has: no boxes.
func TestNoTofu(t *testing.T) {
	ft := cjk(t)
	c, cs := sixCounties(t)
	_, texts, err := render(ft, Input{Title: c.Name, AsOf: "12月1日 12:00", Standing: cs})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(texts, "")
	for _, want := range []string{"越城", "嵊州", "省级示范区", "企业专项辅导", "目标", "完成", "超额+6", "无任务", "12/20"} {
		if !strings.Contains(all, want) {
			t.Errorf("%q is not on the chart (texts: %q)", want, texts)
		}
	}
	if miss := ft.Missing(all); len(miss) > 0 {
		t.Errorf("%s (%s) has no glyph for %q", ft.Path, ft.Family, string(miss))
	}
	if !strings.Contains(all, "\u3000") && ft.Missing("\u3000") != nil {
		t.Errorf("the ideographic space has no glyph")
	}
}

// The bars say the figures: in 柯桥's row the tutoring done bar is longer
// than its target's outline (超额), in 嵊州's there is no done bar at all, and
// the done and target bars differ in shape (solid vs outline), not only in
// colour, so a greyscale print tells them apart.
func TestBars(t *testing.T) {
	ft := cjk(t)
	c, cs := sixCounties(t)
	img, _, err := render(ft, Input{Title: c.Name, AsOf: "12月1日 12:00", Standing: cs})
	if err != nil {
		t.Fatal(err)
	}
	colW := (Width - 2*margin - nameW) / data.NumIndicators
	tutorX := margin + nameW + 3*colW
	// The middle line of the bars of row n.
	mid := func(n int) int { return headerH + n*rowH + 36 + 12 + barH/2 }
	run := func(n int) (done int) {
		for x := tutorX; x < tutorX+colW; x++ {
			if img.RGBAAt(x, mid(n)) == doneCol {
				done++
			}
		}
		return done
	}
	keqiao, shengzhou, yuecheng := run(1), run(5), run(0)
	if keqiao <= yuecheng || yuecheng == 0 {
		t.Errorf("done bars: 柯桥 %d px, 越城 %d px; want 柯桥 (26) longer than 越城 (12) > 0", keqiao, yuecheng)
	}
	if shengzhou != 0 {
		t.Errorf("嵊州 has done nothing but its bar is %d px", shengzhou)
	}
	// The target outline is black at its top edge where the done bar, inset, is not.
	top := headerH + 5*rowH + 36 + 12 + 1
	if img.RGBAAt(tutorX+20, top) != black {
		t.Errorf("嵊州's target bar has no outline at its top edge")
	}
	if y := mid(0) - barH/2 + 1; img.RGBAAt(tutorX+5, y) != black {
		t.Errorf("越城's target outline is covered by its done bar at y %d", y)
	}
}

func TestLoadFontNamed(t *testing.T) {
	ft := cjk(t)
	again, err := LoadFont(ft.Path)
	if err != nil || again.Family != ft.Family {
		t.Fatalf("LoadFont(%q) = %v, %v; want %s", ft.Path, again, err, ft.Family)
	}
	_, err = LoadFont("/nonexistent/font.ttc")
	if err == nil {
		t.Fatal("a missing font file loaded")
	}
	bad := t.TempDir() + "/bad.ttf"
	os.WriteFile(bad, []byte("not a font"), 0o644)
	if _, err := LoadFont(bad); err == nil {
		t.Fatal("a file that is not a font loaded")
	}
}

func benchmarkPNG(b *testing.B, cs data.CityStanding) {
	ft := cjk(b)
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := PNG(&buf, ft, Input{Title: "绍兴市商业秘密保护示范单位培育", AsOf: "12月1日 12:00", Standing: cs}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len())/1024, "KiB")
}

func BenchmarkPNG6(b *testing.B) {
	_, cs := sixCounties(b)
	benchmarkPNG(b, cs)
}

func BenchmarkPNG90(b *testing.B) { benchmarkPNG(b, manyCounties(90)) }
