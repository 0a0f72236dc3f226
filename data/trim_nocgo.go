//go:build !cgo

package data

// Without cgo there is no SQLite and no C heap to trim.
func trimCHeap() {}
