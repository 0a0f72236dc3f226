package export

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"errors"
	"hash/crc32"
	"io"
	"io/fs"

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
type parallelZip struct {
	w     *zip.Writer
	parts []*zipPart
}

func newParallelZip(w io.Writer) excelize.ZipWriter { return &parallelZip{w: zip.NewWriter(w)} }

type zipPart struct {
	name   string
	chunks chan []byte
	done   chan struct{}
	out    bytes.Buffer // deflated
	crc    uint32
	size   uint64
	err    error
}

// Create starts the part name; the previous part is complete.
func (z *parallelZip) Create(name string) (io.Writer, error) {
	z.endLast()
	p := &zipPart{name: name, chunks: make(chan []byte, 1<<14), done: make(chan struct{})}
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

func (p *zipPart) deflate(chunks <-chan []byte) {
	defer close(p.done)
	fw, err := flate.NewWriter(&p.out, flate.BestSpeed)
	if err != nil {
		p.err = err
		for range chunks {
		}
		return
	}
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

// AddFS is not used by excelize's writer; it is here for the interface.
func (z *parallelZip) AddFS(fsys fs.FS) error { return z.w.AddFS(fsys) }

// Close waits for every part and writes the archive.
func (z *parallelZip) Close() error {
	z.endLast()
	var errs []error
	for _, p := range z.parts {
		<-p.done
		if p.err != nil {
			errs = append(errs, p.err)
			continue
		}
		w, err := z.w.CreateRaw(&zip.FileHeader{Name: p.name, Method: zip.Deflate, CRC32: p.crc,
			CompressedSize64: uint64(p.out.Len()), UncompressedSize64: p.size})
		if err == nil {
			_, err = w.Write(p.out.Bytes())
		}
		errs = append(errs, err)
		p.out = bytes.Buffer{}
	}
	return errors.Join(append(errs, z.w.Close())...)
}
