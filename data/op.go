package data

import (
	"database/sql/driver"
	"fmt"
)

// Op is how an entry's amount applies to a total: the one type for it, from
// the grammar to the stored entry.
type Op int

const (
	OpAdd  Op = iota // add a signed delta
	OpSet            // set the total
	OpUndo           // compensate an earlier entry (an undo, an edit, a revert)
)

var opKeys = [...]string{OpAdd: "add", OpSet: "set", OpUndo: "undo"}

// String is the stored spelling.
func (o Op) String() string {
	if o < 0 || int(o) >= len(opKeys) {
		return fmt.Sprintf("Op(%d)", int(o))
	}
	return opKeys[o]
}

// Value stores an op as its spelling; the stored data reads as before.
func (o Op) Value() (driver.Value, error) {
	if o < 0 || int(o) >= len(opKeys) {
		return nil, fmt.Errorf("op %d: not add, set or undo", int(o))
	}
	return opKeys[o], nil
}

// Scan reads a stored spelling.
func (o *Op) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	default:
		return fmt.Errorf("op: cannot read %T", src)
	}
	for i, k := range opKeys {
		if k == s {
			*o = Op(i)
			return nil
		}
	}
	return fmt.Errorf("op: %q is not add, set or undo", s)
}

// GormDataType keeps the column a text column.
func (Op) GormDataType() string { return "string" }
