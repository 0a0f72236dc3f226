package export

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/xuri/excelize/v2"
)

// parallelZip is the workbook's zip archive with each part deflated in a
// goroutine of its own, at flate.BestSpeed: a province's 名单 are some 80 MB
// of repetitive XML in two parts, which deflating one after the other made
// a third of an export. The parts come in one after another (excelize
// writes each whole before it creates the next); a part's chunks are
// queued to its compressor, so the next part is taken while the last is
// still being deflated, and Close writes them all, in order, compressed.
// The queue holds a part's XML until it is deflated: memory for time, as
// the stream writers' buffers already do.
//
// A worksheet may have rows written ahead (rowsPart): its part is taken
// whole, and the marker row of each rowsPart in it replaced by the rows,
// deflated already: the deflate stream of the part is its XML before the
// marker row, deflated and sync-flushed, the rows, then the rest.
type parallelZip struct {
	w     *zip.Writer
	parts []*zipPart
	ahead []*rowsPart
}

func newParallelZip(w io.Writer, ahead []*rowsPart) excelize.ZipWriter {
	return &parallelZip{w: zip.NewWriter(w), ahead: ahead}
}

type zipPart struct {
	name   string
	chunks chan []byte
	done   chan struct{}
	out    bytes.Buffer // deflated
	segs   [][]byte     // a spliced part deflated: its pieces in order
	crc    uint32
	size   uint64
	err    error
	ahead  []*rowsPart // rows to splice in, for a worksheet
	used   []*rowsPart // those spliced in
}

// Create starts the part name; the previous part is complete.
func (z *parallelZip) Create(name string) (io.Writer, error) {
	z.endLast()
	p := &zipPart{name: name, chunks: make(chan []byte, 1<<14), done: make(chan struct{})}
	if strings.HasPrefix(name, "xl/worksheets/") {
		p.ahead = z.ahead
	}
	z.parts = append(z.parts, p)
	go p.deflate(p.chunks)
	return p, nil
}

func (z *parallelZip) endLast() {
	if n := len(z.parts); n > 0 && z.parts[n-1].chunks != nil {
		close(z.parts[n-1].chunks)
		z.parts[n-1].chunks = nil
	}
}

// Write queues a copy of b: the caller reuses its buffer.
func (p *zipPart) Write(b []byte) (int, error) {
	if p.chunks == nil {
		return 0, errors.New("export: zip: write to " + p.name + " after the next part began")
	}
	p.chunks <- bytes.Clone(b)
	return len(b), nil
}

// flateWriters are deflaters at flate.BestSpeed to reuse: each takes
// about a megabyte, and a workbook has a dozen parts.
var flateWriters sync.Pool

func getFlate(w io.Writer) (*flate.Writer, error) {
	if fw, ok := flateWriters.Get().(*flate.Writer); ok {
		fw.Reset(w)
		return fw, nil
	}
	return flate.NewWriter(w, flate.BestSpeed)
}

func putFlate(fw *flate.Writer) {
	fw.Reset(io.Discard)
	flateWriters.Put(fw)
}

func (p *zipPart) deflate(chunks <-chan []byte) {
	defer close(p.done)
	if len(p.ahead) > 0 {
		var all []byte
		for c := range chunks {
			all = append(all, c...)
		}
		p.err = p.splice(all)
		return
	}
	fw, err := getFlate(&p.out)
	if err != nil {
		p.err = err
		for range chunks {
		}
		return
	}
	defer putFlate(fw)
	h := crc32.NewIEEE()
	for c := range chunks {
		if p.err == nil {
			h.Write(c)
			p.size += uint64(len(c))
			_, p.err = fw.Write(c)
		}
	}
	p.err = errors.Join(p.err, fw.Close())
	p.crc = h.Sum32()
}

// splice deflates xml, each marker row of p.ahead in it replaced by its
// rows.
func (p *zipPart) splice(xml []byte) error {
	for {
		var next *rowsPart
		start, end := -1, -1
		for _, r := range p.ahead {
			if !r.written || slices.Contains(p.used, r) {
				continue
			}
			at := bytes.Index(xml, []byte(r.marker))
			if at < 0 {
				continue
			}
			s := bytes.LastIndex(xml[:at], []byte("<row "))
			e := bytes.Index(xml[at:], []byte("</row>"))
			if s < 0 || e < 0 {
				return errors.New("export: zip: " + p.name + ": no row around the marker")
			}
			if start < 0 || s < start {
				next, start, end = r, s, at+e+len("</row>")
			}
		}
		if next == nil {
			return p.deflateChunk(xml, true)
		}
		if next.err != nil {
			return next.err
		}
		if err := p.deflateChunk(xml[:start], false); err != nil {
			return err
		}
		p.segs = append(p.segs, next.deflated.Bytes())
		p.crc = crc32Combine(p.crc, next.crc, next.size)
		p.size += next.size
		p.used = append(p.used, next)
		xml = xml[end:]
	}
}

// deflateChunk deflates b onto p.out, as the end of the part if last, else
// sync-flushed for more deflate data to follow.
func (p *zipPart) deflateChunk(b []byte, last bool) error {
	var out bytes.Buffer
	fw, err := getFlate(&out)
	if err != nil {
		return err
	}
	defer func() { p.segs = append(p.segs, out.Bytes()) }()
	defer putFlate(fw)
	p.crc = crc32.Update(p.crc, crc32.IEEETable, b)
	p.size += uint64(len(b))
	if _, err := fw.Write(b); err != nil {
		return err
	}
	if last {
		return fw.Close()
	}
	return fw.Flush()
}

// AddFS is not used by excelize's writer; it is here for the interface.
func (z *parallelZip) AddFS(fsys fs.FS) error { return z.w.AddFS(fsys) }

// Close waits for every part and writes the archive.
func (z *parallelZip) Close() error {
	z.endLast()
	var errs []error
	for _, p := range z.parts {
		<-p.done
		for _, r := range p.used {
			r.spliced = true
		}
		if p.err != nil {
			errs = append(errs, p.err)
			continue
		}
		if p.segs == nil {
			p.segs = [][]byte{p.out.Bytes()}
		}
		n := 0
		for _, s := range p.segs {
			n += len(s)
		}
		w, err := z.w.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: p.crc,
			CompressedSize64: uint64(n), UncompressedSize64: p.size})
		for _, s := range p.segs {
			if err == nil {
				_, err = w.Write(s)
			}
		}
		errs = append(errs, err)
		p.out, p.segs = bytes.Buffer{}, nil
	}
	for _, r := range z.ahead {
		if r.written && !r.spliced {
			errs = append(errs, errors.New("export: zip: rows written ahead found no sheet"))
		}
	}
	return errors.Join(append(errs, z.w.Close())...)
}
