package data

import (
	"context"
	"fmt"
)

// ListedRows are the names on the lists now, as Names returns them (the
// same rule: an add row notEnded), read row by row with plain database/sql
// scans: at 80,000 names gorm's reflection was half the export's reading.
// Names is for the replies' dozens.
func (s *Store) ListedRows(ctx context.Context, county string) ([]Listed, error) {
	q := s.db.WithContext(ctx).Model(&NameRecord{}).
		Select("id, batch_id, county, indicator, name, user_id, user_name, created_at, late").
		Where("op = ?", NameAdd).Where(notEnded).Order("id")
	if county != "" {
		q = q.Where("county = ?", county)
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, fmt.Errorf("ledger: names: %w", err)
	}
	defer rows.Close()
	var out []Listed
	for rows.Next() {
		var l Listed
		var userName *string
		if err := rows.Scan(&l.ID, &l.BatchID, &l.County, &l.Indicator, &l.Name, &l.UserID, &userName, &l.CreatedAt, &l.Late); err != nil {
			return nil, fmt.Errorf("ledger: names: %w", err)
		}
		if userName != nil {
			l.UserName = *userName
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ledger: names: %w", err)
	}
	return out, nil
}
