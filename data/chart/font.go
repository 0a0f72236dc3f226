package chart

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/image/font/sfnt"
)

// Finding a font that draws Chinese: the one the config names, or the first
// of the usual Debian packages' files that is installed. Without one the
// chart would come out as boxes (tofu), so there is no chart.

// ErrNoFont says no CJK font was found: install one (FontPackage).
var ErrNoFont = errors.New("chart: no CJK font found")

// FontPackage is the Debian package that provides the font looked for first.
const FontPackage = "fonts-noto-cjk"

// FontPaths are the files looked for, in order, when the config names none:
// fontconfig's places for fonts-noto-cjk, fonts-wqy-microhei/zenhei,
// fonts-arphic-uming/ukai and fonts-droid-fallback.
var FontPaths = []string{
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
	"/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
	"/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/truetype/arphic/uming.ttc",
	"/usr/share/fonts/truetype/arphic/ukai.ttc",
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
}

// probe is what a face must draw to be used: the campaign's words.
const probe = "绍兴市越城柯桥上虞诸暨新昌嵊州示范区省级站市县辅导企业目标完成超额截至0123456789/+"

// Font is a parsed CJK face, safe for concurrent use (each chart makes
// faces of its own).
type Font struct {
	Path   string
	Family string
	f      *sfnt.Font
}

// LoadFont reads the font at path, or, for "", the first of FontPaths that
// is installed. A collection (.ttc) gives its Simplified Chinese member
// where it has one. ErrNoFont when nothing that draws Chinese is found.
func LoadFont(path string) (*Font, error) {
	if path != "" {
		f, err := loadFile(path)
		if err != nil {
			return nil, err
		}
		if f == nil {
			return nil, fmt.Errorf("%w: %s does not draw Chinese", ErrNoFont, path)
		}
		return f, nil
	}
	for _, p := range FontPaths {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		if f, err := loadFile(p); err == nil && f != nil {
			return f, nil
		}
	}
	return nil, ErrNoFont
}

// loadFile parses a font file; nil with no error when it has no face
// covering the probe.
func loadFile(path string) (*Font, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("chart: font: %w", err)
	}
	c, err := sfnt.ParseCollection(raw)
	if err != nil {
		return nil, fmt.Errorf("chart: font %s: %w", path, err)
	}
	var first *Font
	var buf sfnt.Buffer
	for i := range c.NumFonts() {
		f, err := c.Font(i)
		if err != nil || !covers(f, &buf, probe) {
			continue
		}
		family, _ := f.Name(&buf, sfnt.NameIDFamily)
		ft := &Font{Path: path, Family: family, f: f}
		if strings.HasSuffix(family, " SC") || strings.Contains(family, "CN") {
			return ft, nil
		}
		if first == nil {
			first = ft
		}
	}
	return first, nil
}

// Covers reports whether the font has a glyph for every rune of s.
func (ft *Font) Covers(s string) bool {
	var buf sfnt.Buffer
	return covers(ft.f, &buf, s)
}

// Missing lists the runes of s the font has no glyph for.
func (ft *Font) Missing(s string) []rune {
	var buf sfnt.Buffer
	var out []rune
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if gi, err := ft.f.GlyphIndex(&buf, r); err != nil || gi == 0 {
			out = append(out, r)
		}
	}
	return out
}

func covers(f *sfnt.Font, buf *sfnt.Buffer, s string) bool {
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if gi, err := f.GlyphIndex(buf, r); err != nil || gi == 0 {
			return false
		}
	}
	return true
}
