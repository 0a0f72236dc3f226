// Package chart draws the picture of the progress: per county, done against
// target for each of the four indicators, as a PNG for a phone. The figures
// are data.StandCity's; nothing here works out a gap or a surplus.
package chart

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"io"
	"strconv"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"

	"tsbot/data"
)

// Width is the picture's width in pixels: a phone shows it full width.
const Width = 1080

// The layout, in pixels.
const (
	margin    = 30
	nameW     = 150 // the county column
	rowH      = 80
	barH      = 24 // the target's outlined bar
	doneInset = 5  // the done bar sits inside the target's, this much thinner on each side
	headerH   = 300
	footerH   = 30
)

// Height is the picture's height for n counties.
func Height(n int) int { return headerH + n*rowH + footerH }

var (
	white   = color.RGBA{255, 255, 255, 255}
	black   = color.RGBA{0, 0, 0, 255}
	grey    = color.RGBA{110, 110, 110, 255}
	stripe  = color.RGBA{240, 242, 246, 255}
	doneCol = color.RGBA{29, 78, 137, 255} // dark blue: dark in greyscale too
	overCol = color.RGBA{170, 20, 30, 255} // the 超额 tag, white on dark red
)

// Input is what the picture shows.
type Input struct {
	Title    string // the campaign's name
	AsOf     string // "12月1日 12:00", local time
	Standing data.CityStanding
}

// PNG draws the chart of in with ft and writes it as a PNG.
func PNG(w io.Writer, ft *Font, in Input) error {
	img, _, err := render(ft, in)
	if err != nil {
		return err
	}
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(w, img); err != nil {
		return fmt.Errorf("chart: encode: %w", err)
	}
	return nil
}

// painter draws on the picture and remembers every text it drew, so a
// test can check the font has a glyph for each rune.
type painter struct {
	img   *image.RGBA
	ft    *Font
	faces map[float64]font.Face
	texts []string
}

func (p *painter) face(size float64) (font.Face, error) {
	if f, ok := p.faces[size]; ok {
		return f, nil
	}
	f, err := opentype.NewFace(p.ft.f, &opentype.FaceOptions{Size: size, DPI: 72, Hinting: font.HintingFull})
	if err != nil {
		return nil, fmt.Errorf("chart: face: %w", err)
	}
	p.faces[size] = f
	return f, nil
}

// text draws s with its baseline at y, from x; it returns the x after it.
func (p *painter) text(s string, x, y int, size float64, c color.Color) int {
	f, err := p.face(size)
	if err != nil {
		return x // checked before drawing: face(size) is made up front
	}
	p.texts = append(p.texts, s)
	d := font.Drawer{Dst: p.img, Src: image.NewUniform(c), Face: f, Dot: fixed.P(x, y)}
	d.DrawString(s)
	return d.Dot.X.Ceil()
}

func (p *painter) width(s string, size float64) int {
	f, _ := p.face(size)
	return font.MeasureString(f, s).Ceil()
}

func (p *painter) fill(r image.Rectangle, c color.Color) {
	draw.Draw(p.img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

// outline draws the border of r, t pixels thick, inside r.
func (p *painter) outline(r image.Rectangle, t int, c color.Color) {
	p.fill(image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+t), c)
	p.fill(image.Rect(r.Min.X, r.Max.Y-t, r.Max.X, r.Max.Y), c)
	p.fill(image.Rect(r.Min.X, r.Min.Y, r.Min.X+t, r.Max.Y), c)
	p.fill(image.Rect(r.Max.X-t, r.Min.Y, r.Max.X, r.Max.Y), c)
}

// tag draws s white on c in a box from x, baseline y; it returns the x after it.
func (p *painter) tag(s string, x, y int, size float64, c color.Color) int {
	w := p.width(s, size)
	pad := 6
	p.fill(image.Rect(x, y-int(size)-2, x+w+2*pad, y+int(size)/4+2), c)
	return p.text(s, x+pad, y, size, white) + pad
}

// Sizes of the texts.
const (
	sizeTitle = 40
	sizeSub   = 26
	sizeHead  = 26
	sizeName  = 32
	sizeFig   = 28
	sizeTag   = 22
)

// render draws the picture; it also returns every text drawn.
func render(ft *Font, in Input) (*image.RGBA, []string, error) {
	if ft == nil {
		return nil, nil, ErrNoFont
	}
	counties := in.Standing.Counties
	img := image.NewRGBA(image.Rect(0, 0, Width, Height(len(counties))))
	p := &painter{img: img, ft: ft, faces: map[float64]font.Face{}}
	for _, s := range []float64{sizeTitle, sizeSub, sizeHead, sizeName, sizeFig, sizeTag} {
		if _, err := p.face(s); err != nil {
			return nil, nil, err
		}
	}
	p.fill(img.Bounds(), white)

	// The heading: title, as-of date, legend.
	y := margin + sizeTitle
	p.text(in.Title+"进度", margin, y, sizeTitle, black)
	y += 50
	p.text("截至"+in.AsOf+"　各区县 完成/目标", margin, y, sizeSub, grey)
	y += 54
	x := margin
	p.outline(image.Rect(x, y-barH+4, x+60, y+4), 3, black)
	x = p.text("目标", x+72, y, sizeSub, black) + 36
	p.fill(image.Rect(x, y-barH+4+doneInset, x+60, y+4-doneInset), doneCol)
	x = p.text("完成", x+72, y, sizeSub, black) + 36
	x = p.tag("超额", x, y, sizeTag, overCol)
	p.text("完成超过目标", x+12, y, sizeSub, black)

	// The column headings, each with the city's total (合计).
	colW := (Width - 2*margin - nameW) / data.NumIndicators
	colX := func(i int) int { return margin + nameW + i*colW }
	y = headerH - 62
	p.text("区县", margin, y, sizeHead, black)
	total := in.Standing.Total
	for i, ind := range data.Indicators {
		p.text(ind.Name(), colX(i), y, sizeHead, black)
		p.text(fmt.Sprintf("合计 %d/%d", total.Done[ind], total.Target[ind]), colX(i), y+36, sizeTag, grey)
	}
	p.fill(image.Rect(margin, headerH-8, Width-margin, headerH-5), black)

	// One scale per indicator, the same for every county: the longest bar
	// is the largest target or figure done.
	var scale [data.NumIndicators]int
	for _, s := range counties {
		for i, ind := range data.Indicators {
			scale[i] = max(scale[i], s.Target[ind], s.Done[ind])
		}
	}
	barW := colW - 24
	length := func(i, v int) int {
		if scale[i] == 0 {
			return 0
		}
		return v * barW / scale[i]
	}

	for n, s := range counties {
		top := headerH + n*rowH
		if n%2 == 1 {
			p.fill(image.Rect(margin, top, Width-margin, top+rowH), stripe)
		}
		p.text(s.County, margin+8, top+rowH/2+sizeName/2-4, sizeName, black)
		for i, ind := range data.Indicators {
			x0 := colX(i)
			base := top + 36
			if s.NoTarget(ind) {
				p.text("无任务", x0, base+14, sizeTag, grey)
				continue
			}
			x := p.text(strconv.Itoa(s.Done[ind])+"/"+strconv.Itoa(s.Target[ind]), x0, base, sizeFig, black)
			if s.Surplus[ind] > 0 {
				p.tag("超额+"+strconv.Itoa(s.Surplus[ind]), x+10, base-2, sizeTag, overCol)
			}
			bt := base + 12
			if t := length(i, s.Target[ind]); t > 0 {
				p.outline(image.Rect(x0, bt, x0+max(t, 6), bt+barH), 3, black)
			}
			if d := length(i, s.Done[ind]); d > 0 {
				p.fill(image.Rect(x0, bt+doneInset, x0+d, bt+barH-doneInset), doneCol)
			}
		}
	}
	return img, p.texts, nil
}
