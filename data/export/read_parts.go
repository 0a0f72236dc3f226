package export

// The parts of an xlsx package, looked into before excelize reads them:
// their sizes, their tags counted and scanned a chunk at a time, and the
// workbook's sheets found the way excelize finds them.

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"html"
	"io"
	"path"
	"strings"

	"github.com/xuri/excelize/v2"
)

// partLimit is the most a part may unpack to.
func partLimit(name string) uint64 {
	switch {
	case strings.HasPrefix(name, "xl/worksheets/") || name == "xl/sharedstrings.xml":
		return maxPart
	case strings.HasPrefix(name, "xl/media/") || strings.HasPrefix(name, "xl/embeddings/") || strings.HasPrefix(name, "xl/pivotcache/") ||
		strings.HasSuffix(name, ".bin"):
		return maxUnzipped // not parsed (a pivot table's cache can be big)
	case strings.HasSuffix(name, ".xml") || strings.HasSuffix(name, ".rels") || strings.HasSuffix(name, ".vml"):
		return maxParsedPart
	}
	return maxUnzipped
}

// checkStrings counts the shared strings.
func checkStrings(zf *zip.File) error {
	rc, err := zf.Open()
	if err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	defer rc.Close()
	n, err := countTags(io.LimitReader(rc, maxPart+1), "si")
	if err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	if n > maxStrings {
		return &FileError{Reason: msgTooBig}
	}
	return nil
}

// countTags counts the start tags <name …> (with any prefix) in a stream
// of XML, a chunk at a time.
func countTags(r io.Reader, name string) (int, error) {
	n := 0
	buf := make([]byte, 64<<10)
	carry := 0
	for {
		m, err := r.Read(buf[carry:])
		chunk := buf[:carry+m]
		end := len(chunk)
		if err == nil {
			// a tag cut at the end of the chunk is counted with the next
			end = max(0, end-len(name)-64)
		}
		for i := 0; i < end; i++ {
			if chunk[i] != '<' {
				continue
			}
			if tag, _ := tagName(chunk[i+1:]); tag == name {
				n++
			}
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		carry = copy(buf, chunk[end:])
	}
}

// tagName is the local name of the tag at the start of b (after its "<"),
// and the rest of b after the name.
func tagName(b []byte) (string, []byte) {
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '>' && b[i] != '/' && b[i] != '\t' && b[i] != '\n' && b[i] != '\r' {
		i++
	}
	name := b[:i]
	if k := bytes.LastIndexByte(name, ':'); k >= 0 {
		name = name[k+1:]
	}
	return string(name), b[i:]
}

// sheetScan is what checkParts finds in a worksheet.
type sheetScan struct {
	formula    string // the cell of the first formula
	hasFormula bool
	merges     []string
	cells      int // what reading its rows walks: each row as wide as its last cell
}

// scanSheet reads a worksheet's XML tag by tag. Cell text cannot hold a
// raw "<", so every "<" opens a tag.
func scanSheet(body []byte) sheetScan {
	var sc sheetScan
	col, wide := 0, 0
	cellRef := ""
	inData := false // in sheetData: a formula after it (<xm:f> of a drop-down list) is no cell's
	for i := bytes.IndexByte(body, '<'); i >= 0; {
		open := body[i+1:]
		// A comment, a CDATA section or a processing instruction ends at
		// its own end mark: a quote in it opens no value.
		if skip, ok := special(open); ok {
			next := -1
			if skip < len(open) {
				next = bytes.IndexByte(open[skip:], '<')
			}
			if next < 0 {
				break
			}
			i = len(body) - len(open) + skip + next
			continue
		}
		closing := len(open) > 0 && open[0] == '/'
		if closing {
			open = open[1:]
		}
		name, rest := tagName(open)
		end := tagEnd(rest)
		tag := rest[:end]
		switch {
		case name == "sheetData":
			inData = !closing && !bytes.HasSuffix(tag, []byte("/"))
		case closing:
		case name == "row":
			sc.cells += wide
			wide, col = 0, 0
		case name == "c":
			cellRef = attr(tag, "r")
			if c, _, err := excelize.CellNameToCoordinates(cellRef); err == nil {
				col = c
			} else {
				col, cellRef = col+1, "" // no reference a reply could name
			}
			wide = max(wide, col)
		case name == "f" && inData:
			sc.hasFormula = true
			if sc.formula == "" {
				sc.formula = cellRef
			}
		case name == "mergeCell":
			if ref := attr(tag, "ref"); ref != "" {
				sc.merges = append(sc.merges, ref)
			}
		}
		next := bytes.IndexByte(rest[end:], '<')
		if next < 0 {
			break
		}
		i = len(body) - len(rest) + end + next
	}
	sc.cells += wide
	return sc
}

// attr is the value of an attribute in a tag's text (all after its name),
// as XML reads it: attribute by attribute, spaces around each "=", a ">"
// or another attribute written inside a value, references in it
// (r="&#88;FD1" is XFD1).
func attr(tag []byte, name string) string {
	for rest := skipSpace(tag); len(rest) > 0; rest = skipSpace(rest) {
		k := 0
		for k < len(rest) && !isXMLSpace(rest[k]) && rest[k] != '=' && rest[k] != '>' && rest[k] != '/' {
			k++
		}
		key := string(rest[:k])
		rest = skipSpace(rest[k:])
		if len(rest) == 0 || rest[0] != '=' {
			return "" // the end of the tag, or no attribute
		}
		rest = skipSpace(rest[1:])
		if len(rest) == 0 || rest[0] != '"' && rest[0] != '\'' {
			return ""
		}
		end := bytes.IndexByte(rest[1:], rest[0])
		if end < 0 {
			return ""
		}
		if key == name {
			return html.UnescapeString(string(rest[1 : 1+end]))
		}
		rest = rest[2+end:]
	}
	return ""
}

// special is, for a comment, a CDATA section, a processing instruction or
// a declaration at the start of b (after its "<"), how far it reaches.
func special(b []byte) (int, bool) {
	for _, m := range []struct{ open, end string }{{"!--", "-->"}, {"![CDATA[", "]]>"}, {"?", "?>"}, {"!", ">"}} {
		if bytes.HasPrefix(b, []byte(m.open)) {
			if i := bytes.Index(b[len(m.open):], []byte(m.end)); i >= 0 {
				return len(m.open) + i + len(m.end), true
			}
			return len(b), true
		}
	}
	return 0, false
}

// tagEnd is where a tag's text ends: its ">", not one inside a quoted value.
func tagEnd(b []byte) int {
	var quote byte
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return len(b)
}

func isXMLSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

func skipSpace(b []byte) []byte {
	for len(b) > 0 && isXMLSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// sheetPart is a sheet of the workbook and the part that holds it.
type sheetPart struct{ name, part string }

// sheetParts are the workbook's sheets, found the way excelize finds them:
// the workbook named by _rels/.rels, its sheets, their targets in its
// relationships.
func sheetParts(parts map[string]*zip.File) ([]sheetPart, error) {
	var root struct {
		Rels []struct {
			ID     string `xml:"Id,attr"`
			Type   string `xml:"Type,attr"`
			Target string `xml:"Target,attr"`
		} `xml:"Relationship"`
	}
	if err := decodePart(parts["_rels/.rels"], &root); err != nil {
		return nil, err
	}
	wbPath := ""
	for _, r := range root.Rels {
		if strings.HasSuffix(r.Type, "/officeDocument") {
			wbPath = strings.TrimPrefix(r.Target, "/")
			break
		}
	}
	var wb struct {
		Sheets []struct {
			Name string `xml:"name,attr"`
			// r:id, in the namespace of Transitional or of Strict OOXML
			ID string `xml:"id,attr"`
		} `xml:"sheets>sheet"`
	}
	if err := decodePart(parts[wbPath], &wb); err != nil {
		return nil, err
	}
	relsPath := strings.TrimPrefix(path.Join(path.Dir(wbPath), "_rels", path.Base(wbPath)+".rels"), "/")
	var rels = root
	rels.Rels = nil
	if err := decodePart(parts[relsPath], &rels); err != nil {
		return nil, err
	}
	var out []sheetPart
	for _, s := range wb.Sheets {
		for _, r := range rels.Rels {
			if r.ID != s.ID {
				continue
			}
			p := strings.TrimPrefix(path.Clean(path.Dir(wbPath)+"/"+r.Target), "/")
			if strings.HasPrefix(r.Target, "/") {
				p = strings.TrimPrefix(path.Clean(r.Target), "/")
			}
			out = append(out, sheetPart{name: s.Name, part: p})
		}
	}
	return out, nil
}

// decodePart decodes a small part of the package; a missing one is no xlsx.
func decodePart(zf *zip.File, v any) error {
	if zf == nil {
		return &FileError{Reason: msgNotXLSX}
	}
	body, err := readPart(zf)
	if err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	if err := xml.Unmarshal(body, v); err != nil {
		return &FileError{Reason: msgNotXLSX}
	}
	return nil
}

func readPart(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	body, err := io.ReadAll(io.LimitReader(rc, maxPart+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxPart {
		return nil, errors.New("export: part too large")
	}
	return body, nil
}
