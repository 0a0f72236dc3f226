package export

import (
	"bytes"
	"compress/flate"
	"encoding/xml"
	"hash/crc32"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// rowsPart is the rows of a 名单 written ahead of the workbook: their XML,
// as excelize's StreamWriter.SetRow would write it, deflated in the sheet's
// own goroutine while the others are written. The stream writer writes one
// marker row in their place; the zip writer splices them in for it (see
// parallelZip). Per cell, SetRow costs a cell name, a boxed value, a
// struct and an escaped copy of the text: at 80,000 names, 1.7 million
// cells, most of an export.
type rowsPart struct {
	marker   string       // the text of the one cell of the row the rows replace
	deflated bytes.Buffer // sync-flushed, not final: more deflate data follows
	crc      uint32       // of the XML
	size     uint64       // of the XML
	err      error
	written  bool // its sheet has the marker row
	spliced  bool // the zip writer replaced it
}

// rowsWriter writes rows of inline strings and deflates them as it goes.
type rowsWriter struct {
	part *rowsPart
	fw   *flate.Writer
	buf  []byte
	crc  uint32
}

const rowsChunk = 64 << 10

func newRowsWriter(p *rowsPart) *rowsWriter {
	fw, err := getFlate(&p.deflated)
	p.err = err
	return &rowsWriter{part: p, fw: fw, buf: make([]byte, 0, 2*rowsChunk)}
}

// colRefs are the column names of the lists, A to Z.
var colRefs = func() []string {
	out := make([]string, 26)
	for i := range out {
		out[i] = string(rune('A' + i))
	}
	return out
}()

// row writes row r (1-based) of height ht, a cell of style styles[k] per
// text: an empty text is a cell with its style and no value.
func (w *rowsWriter) row(r int, ht float64, styles []int, texts []string) {
	b := append(w.buf, `<row r="`...)
	b = strconv.AppendInt(b, int64(r), 10)
	b = append(b, `" ht="`...)
	b = strconv.AppendFloat(b, ht, 'f', -1, 64)
	b = append(b, `" customHeight="1">`...)
	for k, t := range texts {
		b = append(b, `<c r="`...)
		b = append(b, colRefs[k]...)
		b = strconv.AppendInt(b, int64(r), 10)
		b = append(b, '"')
		if styles[k] != 0 {
			b = append(b, ` s="`...)
			b = strconv.AppendInt(b, int64(styles[k]), 10)
			b = append(b, '"')
		}
		if t == "" {
			b = append(b, `></c>`...)
			continue
		}
		b = append(b, ` t="inlineStr"><is><t`...)
		b = appendInlineText(b, t)
		b = append(b, `</t></is></c>`...)
	}
	b = append(b, `</row>`...)
	w.buf = b
	if len(b) >= rowsChunk {
		w.flush()
	}
}

func (w *rowsWriter) flush() {
	if len(w.buf) == 0 {
		return
	}
	w.crc = crc32.Update(w.crc, crc32.IEEETable, w.buf)
	w.part.size += uint64(len(w.buf))
	if w.part.err == nil {
		_, w.part.err = w.fw.Write(w.buf)
	}
	w.buf = w.buf[:0]
}

// close ends the rows with a sync flush: the deflate stream goes on with
// the rest of the sheet.
func (w *rowsWriter) close() error {
	w.flush()
	if w.part.err == nil {
		w.part.err = w.fw.Flush()
		putFlate(w.fw)
	}
	w.part.crc = w.crc
	return w.part.err
}

// appendInlineText appends the rest of a <t> element's start tag and the
// text, as excelize's setInlineStr does: at most 32,767 UTF-16 units,
// xml:space="preserve" for a text starting or ending with white space, XML
// escaped (line breaks kept), and its _xHHHH_ escapes of its own escaped.
func appendInlineText(b []byte, s string) []byte {
	const totalCellChars = 32767 // excelize.TotalCellChars
	if len(s) > totalCellChars {
		s = truncateUTF16(s, totalCellChars)
	}
	if s == "" {
		return append(b, '>')
	}
	switch first, last := s[0], s[len(s)-1]; {
	case first == 9 || first == 10 || first == 13 || first == 32, last == 9 || last == 10 || last == 13 || last == 32:
		b = append(b, ` xml:space="preserve">`...)
	default:
		b = append(b, '>')
	}
	if plainText(s) {
		if strings.Contains(s, "_x") {
			return append(b, bstrMarshal(s)...)
		}
		return append(b, s...)
	}
	var esc strings.Builder
	_ = xml.EscapeText(&esc, []byte(s))
	return append(b, bstrMarshal(strings.ReplaceAll(esc.String(), "&#xA;", "\n"))...)
}

// plainText is whether xml.EscapeText leaves s as it is, line breaks aside
// (setInlineStr keeps them).
func plainText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
		case c < 0x20, c == '"', c == '\'', c == '&', c == '<', c == '>':
			return false
		}
	}
	return utf8.ValidString(s) && !strings.Contains(s, "\uFFFE") && !strings.Contains(s, "\uFFFF")
}

func truncateUTF16(s string, length int) string {
	n := 0
	for i, r := range s {
		if n += utf16.RuneLen(r); n > length {
			return s[:i]
		}
	}
	return s
}

var (
	bstrExp       = regexp.MustCompile(`_x[a-fA-F\d]{4}_`)
	bstrEscapeExp = regexp.MustCompile(`x[a-fA-F\d]{4}_`)
)

// bstrMarshal is excelize's: a text's own _xHHHH_ is escaped as
// _x005F_xHHHH_, so that a reader does not take it for an escaped
// character.
func bstrMarshal(s string) (result string) {
	matches, l, cursor := bstrExp.FindAllStringSubmatchIndex(s, -1), len(s), 0
	for _, match := range matches {
		result += s[cursor:match[0]]
		subStr := s[match[0]:match[1]]
		if subStr == "_x005F_" {
			cursor = match[1]
			if match[1]+6 <= l && bstrEscapeExp.MatchString(s[match[1]:match[1]+6]) {
				_, err := strconv.Unquote(`"\u` + s[match[1]+1:match[1]+5] + `"`)
				if err == nil {
					result += subStr + "x005F" + subStr
					continue
				}
			}
			result += subStr + "x005F_"
			continue
		}
		if bstrExp.MatchString(subStr) {
			cursor = match[1]
			if _, err := strconv.Unquote(`"\u` + s[match[0]+2:match[1]-1] + `"`); err == nil {
				result += "_x005F" + subStr
				continue
			}
		}
	}
	if cursor < l {
		result += s[cursor:]
	}
	return result
}

// crc32Combine is the CRC-32 (IEEE) of A followed by B from those of A
// and B and the length of B (zlib's crc32_combine).
func crc32Combine(crc1, crc2 uint32, len2 uint64) uint32 {
	if len2 == 0 {
		return crc1
	}
	var even, odd [32]uint32
	odd[0] = crc32.IEEE // the operator for one zero bit
	row := uint32(1)
	for n := 1; n < 32; n++ {
		odd[n] = row
		row <<= 1
	}
	gf2Square(&even, &odd) // two zero bits
	gf2Square(&odd, &even) // four
	for {
		gf2Square(&even, &odd)
		if len2&1 != 0 {
			crc1 = gf2Times(&even, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
		gf2Square(&odd, &even)
		if len2&1 != 0 {
			crc1 = gf2Times(&odd, crc1)
		}
		if len2 >>= 1; len2 == 0 {
			break
		}
	}
	return crc1 ^ crc2
}

func gf2Times(mat *[32]uint32, vec uint32) uint32 {
	var sum uint32
	for i := 0; vec != 0; i, vec = i+1, vec>>1 {
		if vec&1 != 0 {
			sum ^= mat[i]
		}
	}
	return sum
}

func gf2Square(square, mat *[32]uint32) {
	for n := range 32 {
		square[n] = gf2Times(mat, mat[n])
	}
}
