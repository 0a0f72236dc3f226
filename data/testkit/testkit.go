// Package testkit holds what the tests of every package share: the golden
// files with one -update flag, and a buffer many goroutines may write to.
// Only tests import it.
package testkit

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "time/tzdata"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// Updating reports whether the test run rewrites golden files (-update).
func Updating() bool { return *update }

// Golden compares got with testdata/name.golden, or rewrites that file with
// -update. what names the content in the message ("replies", "cells").
func Golden(t testing.TB, name, what, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differ from %s (go test -update rewrites it):\n%s", what, path, FirstDiff(string(want), got))
	}
}

// FirstDiff says where two texts first differ, line by line.
func FirstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\nwant %q\n got %q", i+1, wl, gl)
		}
	}
	return ""
}

// Buffer collects output (a log, a child's stderr) from many goroutines.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Shanghai is the campaign's zone in the tests.
var Shanghai = MustLoad("Asia/Shanghai")

// MustLoad loads a time zone (time/tzdata makes every one available).
func MustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// Local parses "2027-09-21" or "2027-09-21 09:30" in Asia/Shanghai.
func Local(s string) time.Time { return In(Shanghai, s) }

// In parses "2027-09-21" or "2027-09-21 09:30" in loc.
func In(loc *time.Location, s string) time.Time {
	layout := "2006-01-02"
	if len(s) > len(layout) {
		layout = "2006-01-02 15:04"
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		panic(err)
	}
	return t
}
