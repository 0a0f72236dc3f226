package data

// The attributes of the names on the lists (/detail): credit code, address,
// contact, tutoring date and the rest of the columns the province checks.
// Like everything in the ledger they are only ever inserted: each record
// sets one attribute of one unit, the latest record of an attribute wins.
// A unit is known by its county and normalized name, so its attributes hold
// on both lists (a station is also a tutored enterprise, note 1) and survive
// a name taken off a list and put back.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// KindDetail is the batch of a /detail.
const KindDetail = "detail"

// DetailRecord is one attribute of one unit, as recorded.
type DetailRecord struct {
	ID        int64  `gorm:"primaryKey"`
	BatchID   int64  `gorm:"index;not null"`
	County    string `gorm:"index:idx_details_unit;not null"`
	Norm      string `gorm:"index:idx_details_unit;not null"` // NormalizeName of the name
	Name      string `gorm:"not null"`                        // the name as on the list when recorded
	Field     string `gorm:"not null"`                        // DetailField.Key
	Value     string `gorm:"not null"`                        // as CleanDetail keeps it
	Late      bool   `gorm:"not null;default:false"`          // recorded after the county's lists closed
	UserID    int64  `gorm:"not null"`
	UserName  string
	CreatedAt time.Time `gorm:"not null"`
}

// TableName keeps the table name in the domain's words.
func (DetailRecord) TableName() string { return "name_details" }

// DetailValue is one attribute to record.
type DetailValue struct {
	Field DetailField
	Value string
}

// Unit names a unit or enterprise on a county's lists.
type Unit struct{ County, Norm string }

// UnitOf is the unit a listed name stands for.
func UnitOf(l Listed) Unit { return Unit{l.County, NormalizeName(l.Name)} }

// Details are the latest attributes of one unit, with who recorded the
// newest of them and when.
type Details struct {
	Values    [NumDetailFields]string
	UserID    int64
	UserName  string
	UpdatedAt time.Time
	Late      bool
}

// Get is the value of one attribute, "" if none was recorded.
func (d Details) Get(f DetailField) string { return d.Values[f] }

// ErrNameNotListed refuses attributes of a name that is on none of the
// county's lists.
var ErrNameNotListed = errors.New("details: name not on the lists")

// AddDetails records attributes of name, which must be on one of county's
// lists now. The write is authorised like a change of the lists: the caller
// checks the county is the author's; after the county confirmed or the
// deadline passed only an admin may, and the records are marked late
// (ClosedError otherwise).
func (s *Store) AddDetails(ctx context.Context, a Author, county, name string, values []DetailValue) (Outcome, error) {
	if len(values) == 0 {
		return Outcome{}, fmt.Errorf("details: nothing to record")
	}
	clean := make([]DetailValue, len(values))
	for i, v := range values {
		c, err := CleanDetail(v.Field, v.Value, 0)
		if err != nil {
			return Outcome{}, err
		}
		clean[i] = DetailValue{v.Field, c}
	}
	norm := NormalizeName(name)
	var listed NameRecord
	return s.writeThen(ctx, a, KindDetail, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
		live, err := liveUnit(tx, county, norm)
		if err != nil {
			return nil, err
		}
		listed = live
		// The same rule as a change of the county's figures (markLate).
		if err := s.markLate(tx, a, b, []Entry{{County: county}}, b.CreatedAt); err != nil {
			return nil, err
		}
		return nil, nil
	}, func(tx *gorm.DB, b *Batch) error {
		rows := make([]DetailRecord, len(clean))
		for i, v := range clean {
			rows[i] = DetailRecord{BatchID: b.ID, County: county, Norm: norm, Name: listed.Name, Field: v.Field.Key(), Value: v.Value,
				Late: b.Late, UserID: b.UserID, UserName: b.UserName, CreatedAt: b.CreatedAt}
		}
		if err := tx.Create(&rows).Error; err != nil {
			return fmt.Errorf("details: insert: %w", err)
		}
		return nil
	})
}

// liveUnit is the first row that put the unit on one of the county's lists
// and is still there; ErrNameNotListed if there is none.
func liveUnit(tx *gorm.DB, county, norm string) (NameRecord, error) {
	var r NameRecord
	// Every indicator named, so the lookup uses the list index (county,
	// indicator, norm) instead of scanning the county's names.
	err := tx.Where("county = ? AND indicator IN ? AND norm = ? AND op = ?", county, Indicators[:], norm, NameAdd).
		Where(notEnded).Order("id").Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return NameRecord{}, ErrNameNotListed
	}
	if err != nil {
		return NameRecord{}, fmt.Errorf("details: look up %s %q: %w", county, norm, err)
	}
	return r, nil
}

// Details returns the latest attributes of every unit of one county (""
// for all), by unit.
func (s *Store) Details(ctx context.Context, county string) (map[Unit]Details, error) {
	// Scanned row by row, not with gorm's Find: a province's export reads
	// tens of thousands of these, and reflection was most of the time. The
	// attributes an undone import set are no longer recorded: the latest
	// record of a batch still standing wins.
	q := s.db.WithContext(ctx).Model(&DetailRecord{}).
		Select("county, norm, field, value, late, user_id, user_name, created_at").Order("id").
		Where("batch_id NOT IN (?)", s.db.Model(&Batch{}).Select("reverts").Where("reverts IS NOT NULL"))
	if county != "" {
		q = q.Where("county = ?", county)
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, fmt.Errorf("details: %w", err)
	}
	defer rows.Close()
	out := map[Unit]Details{}
	var r DetailRecord
	for rows.Next() {
		var userName *string
		if err := rows.Scan(&r.County, &r.Norm, &r.Field, &r.Value, &r.Late, &r.UserID, &userName, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("details: %w", err)
		}
		f, ok := DetailFieldByKey(r.Field)
		if !ok {
			continue // a field a later version added
		}
		u := Unit{r.County, r.Norm}
		d := out[u]
		d.Values[f] = r.Value
		d.UserID, d.UserName, d.UpdatedAt, d.Late = r.UserID, "", r.CreatedAt, r.Late
		if userName != nil {
			d.UserName = *userName
		}
		out[u] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("details: %w", err)
	}
	return out, nil
}
