package export

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The rows written ahead are the XML excelize's StreamWriter.SetRow writes
// for the same cells, byte for byte, texts that need escaping included.
func TestRowsAsStreamWriter(t *testing.T) {
	styles := []int{1, 2, 1, 0, 2, 1, 1, 2, 1, 2, 1}
	rows := [][]string{
		{"1", "柯桥", "甲纺织有限公司", "", "省级示范站\n高新技术企业", "绍兴市（柯桥区）", "王五", "0575-85134612", "2027-09-12", "上门辅导", ""},
		{"2", "a&b<c>\"d'e", " lead", "trail ", "\tTab", "line\r\nbreak", "_x0041_", "_x005F_x0041_", "a_x00zz_b_xABCD_", "ctl\x01\x1f", "bad\xffutf8"},
		{"3", strings.Repeat("长", 40000), "\uFFFE\uFFFF", "𠀀", "\n", " ", "", "", "", "", "x"},
	}
	heights := []float64{22, 37.9, maxRowHeight}

	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for k, text := range r {
			c := excelize.Cell{StyleID: styles[k]}
			if text != "" {
				c.Value = text
			}
			vals[k] = &c
		}
		if err := sw.SetRow(cell(1, headRow+1+i), vals, excelize.RowOpts{Height: heights[i]}); err != nil {
			t.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		t.Fatal(err)
	}
	raw, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(raw.Bytes()), int64(raw.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var sheet []byte
	for _, zf := range z.File {
		if zf.Name == "xl/worksheets/sheet1.xml" {
			r, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			sheet, _ = io.ReadAll(r)
		}
	}
	want := sheet[bytes.Index(sheet, []byte("<row ")) : bytes.LastIndex(sheet, []byte("</row>"))+len("</row>")]

	p := &rowsPart{}
	w := newRowsWriter(p)
	for i, r := range rows {
		w.row(headRow+1+i, heights[i], styles, r)
	}
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(flate.NewReader(bytes.NewReader(p.deflated.Bytes())))
	if !errors.Is(err, io.ErrUnexpectedEOF) { // sync-flushed: the stream goes on
		t.Fatalf("reading the rows: %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("rows:\n%.2000q\nwant, from the stream writer:\n%.2000q", got, want)
	}
	if p.size != uint64(len(got)) || p.crc != crc32.ChecksumIEEE(got) {
		t.Errorf("size %d crc %08x, want %d %08x", p.size, p.crc, len(got), crc32.ChecksumIEEE(got))
	}
}

func TestCRC32Combine(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range [][2]int{{0, 0}, {0, 5}, {5, 0}, {1, 1}, {100, 3}, {3, 100_000}, {70_000, 1 << 20}} {
		a, b := make([]byte, n[0]), make([]byte, n[1])
		for i := range a {
			a[i] = byte(r.Uint32())
		}
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		want := crc32.ChecksumIEEE(append(append([]byte{}, a...), b...))
		if got := crc32Combine(crc32.ChecksumIEEE(a), crc32.ChecksumIEEE(b), uint64(len(b))); got != want {
			t.Errorf("%v: %08x, want %08x", n, got, want)
		}
	}
}

// textWidth by bytes agrees with it rune by rune, on every rune.
func TestTextWidthByBytes(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		s := "a" + string(r) + "名"
		if got, want := textWidth(s), runeWidth(s); got != want {
			t.Fatalf("textWidth(%q) = %v, rune by rune %v", s, got, want)
		}
	}
	for _, s := range []string{"", "\xff", "名\xe5\x90", "\xed\xa0\x80", "柯桥区华舍街道 No.1"} {
		if got, want := textWidth(s), runeWidth(s); got != want {
			t.Errorf("textWidth(%q) = %v, rune by rune %v", s, got, want)
		}
	}
}
