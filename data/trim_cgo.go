//go:build cgo

package data

// SQLite allocates with the C library's malloc, whose free keeps the memory
// in its arenas; malloc_trim hands whole free pages back. It is a weak
// reference so that a C library without it (musl) links, and then nothing
// is trimmed.

/*
#include <stddef.h>
extern int malloc_trim(size_t pad) __attribute__((weak));
static void tsbot_trim(void) { if (malloc_trim) malloc_trim(0); }
*/
import "C"

func trimCHeap() { C.tsbot_trim() }
