package data

// The sign-off of a county's lists (/confirm) and taking it back (/reopen).
// Both are batches of the ledger, only ever inserted: a county's lists are
// confirmed while its latest confirmation has no reopening after it.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Batch kinds of the sign-off.
const (
	KindConfirm = "confirm" // a /confirm, pressed or typed
	KindReopen  = "reopen"  // an admin's /reopen
)

// Confirmation is a county's sign-off of its lists. While it stands, the
// county's changes need an admin and count as late.
type Confirmation struct {
	ID      int64  `gorm:"primaryKey"`
	BatchID int64  `gorm:"not null"`
	County  string `gorm:"not null;uniqueIndex:idx_confirmations_round,priority:1"`
	// After is the reopening this confirmation follows (0 for the first):
	// unique with the county, so a county confirms once per opening, also
	// when two people press at the same moment.
	After     int64 `gorm:"not null;default:0;uniqueIndex:idx_confirmations_round,priority:2"`
	UserID    int64 `gorm:"not null"`
	UserName  string
	Late      bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null"`
}

// Reopening takes a confirmation back (an admin's /reopen), with the reason.
type Reopening struct {
	ID      int64 `gorm:"primaryKey"`
	BatchID int64 `gorm:"not null"`
	// ConfirmationID is the sign-off taken back: a confirmation is
	// reopened at most once.
	ConfirmationID int64  `gorm:"not null;uniqueIndex"`
	County         string `gorm:"index;not null"`
	Reason         string `gorm:"not null"`
	UserID         int64  `gorm:"not null"`
	UserName       string
	CreatedAt      time.Time `gorm:"not null"`
}

// TableName keeps the table name in the domain's words.
func (Reopening) TableName() string { return "reopenings" }

// ErrAlreadyConfirmed is returned when a county confirms lists that stand
// confirmed.
var ErrAlreadyConfirmed = errors.New("ledger: lists already confirmed")

// ErrNotConfirmed is returned when lists that are not confirmed are reopened.
var ErrNotConfirmed = errors.New("ledger: lists not confirmed")

// ErrListsChanged refuses a confirmation of lists that changed since they
// were shown (Submission.Version).
var ErrListsChanged = errors.New("ledger: lists changed since the preview")

// openConfirmations are the standing confirmations of the given counties
// (all when none are given).
func openConfirmations(tx *gorm.DB, counties []string) ([]Confirmation, error) {
	q := tx.Where("id NOT IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&Reopening{}).Select("confirmation_id"))
	if len(counties) > 0 {
		q = q.Where("county IN ?", counties)
	}
	var confs []Confirmation
	if err := q.Order("id").Find(&confs).Error; err != nil {
		return nil, fmt.Errorf("ledger: load confirmations: %w", err)
	}
	return confs, nil
}

// Confirm records that county's lists as submitted. version, if not 0, is
// the Submission.Version the confirmer was shown: lists that changed since
// are refused (ErrListsChanged). Who may confirm is the caller's check.
func (s *Store) Confirm(ctx context.Context, a Author, county string, version int64) (Confirmation, error) {
	var conf Confirmation
	_, err := s.writeThen(ctx, a, KindConfirm, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
		open, err := openConfirmations(tx, []string{county})
		if err != nil {
			return nil, err
		}
		if len(open) > 0 {
			return nil, ErrAlreadyConfirmed
		}
		if version != 0 {
			v, err := listsVersion(tx, county)
			if err != nil {
				return nil, err
			}
			if v != version {
				return nil, ErrListsChanged
			}
		}
		var last Reopening
		err = tx.Where("county = ?", county).Order("id DESC").Limit(1).Find(&last).Error
		if err != nil {
			return nil, fmt.Errorf("ledger: last reopening: %w", err)
		}
		conf.After = last.ID
		b.Late = !s.ListsClose.IsZero() && !b.CreatedAt.Before(s.ListsClose)
		return nil, nil
	}, func(tx *gorm.DB, b *Batch) error {
		conf = Confirmation{BatchID: b.ID, County: county, After: conf.After, UserID: b.UserID, UserName: b.UserName, Late: b.Late, CreatedAt: b.CreatedAt}
		if err := tx.Create(&conf).Error; err != nil {
			return fmt.Errorf("ledger: insert confirmation: %w", err)
		}
		return bumpGeneration(tx, genConfirmations)
	})
	if err != nil {
		return Confirmation{}, err
	}
	return conf, nil
}

// Reopen takes back the standing confirmation of county, with a reason
// (ErrNotConfirmed when there is none). The county's staff may change their
// lists again, until the deadline, and confirm them anew.
func (s *Store) Reopen(ctx context.Context, a Author, county, reason string) (Reopening, error) {
	var ro Reopening
	_, err := s.writeThen(ctx, a, KindReopen, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
		open, err := openConfirmations(tx, []string{county})
		if err != nil {
			return nil, err
		}
		if len(open) == 0 {
			return nil, ErrNotConfirmed
		}
		ro.ConfirmationID = open[len(open)-1].ID
		return nil, nil
	}, func(tx *gorm.DB, b *Batch) error {
		ro = Reopening{BatchID: b.ID, ConfirmationID: ro.ConfirmationID, County: county, Reason: reason,
			UserID: b.UserID, UserName: b.UserName, CreatedAt: b.CreatedAt}
		if err := tx.Create(&ro).Error; err != nil {
			return fmt.Errorf("ledger: insert reopening: %w", err)
		}
		return bumpGeneration(tx, genConfirmations)
	})
	if err != nil {
		return Reopening{}, err
	}
	return ro, nil
}

// Confirmations returns the standing sign-off of every county that has one.
func (s *Store) Confirmations(ctx context.Context) (map[string]Confirmation, error) {
	rows, err := openConfirmations(s.db.WithContext(ctx), nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Confirmation, len(rows))
	for _, r := range rows {
		out[r.County] = r
	}
	return out, nil
}

// Reopenings returns the latest reopening of every county that had one.
func (s *Store) Reopenings(ctx context.Context) (map[string]Reopening, error) {
	var rows []Reopening
	if err := s.db.WithContext(ctx).Order("id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("ledger: reopenings: %w", err)
	}
	out := make(map[string]Reopening, len(rows))
	for _, r := range rows {
		out[r.County] = r
	}
	return out, nil
}

// listsVersion changes whenever what a county would submit changes: its
// figures and names (entries), or the attributes of its names.
func listsVersion(tx *gorm.DB, county string) (int64, error) {
	var e, d struct{ N int64 }
	if err := tx.Model(&Entry{}).Select("COALESCE(MAX(batch_id), 0) AS n").Where("county = ?", county).Scan(&e).Error; err != nil {
		return 0, fmt.Errorf("ledger: lists version: %w", err)
	}
	if err := tx.Model(&DetailRecord{}).Select("COALESCE(MAX(batch_id), 0) AS n").Where("county = ?", county).Scan(&d).Error; err != nil {
		return 0, fmt.Errorf("ledger: lists version: %w", err)
	}
	// An undone import takes its attributes back without a record of its
	// own: the undo's batch is a change of the lists too.
	var u struct{ N int64 }
	err := tx.Model(&Batch{}).Select("COALESCE(MAX(id), 0) AS n").
		Where("reverts IN (?)", tx.Session(&gorm.Session{NewDB: true}).Model(&DetailRecord{}).Select("batch_id").Where("county = ?", county)).
		Scan(&u).Error
	if err != nil {
		return 0, fmt.Errorf("ledger: lists version: %w", err)
	}
	// Batch ids count up across the ledger: the larger one is the latest
	// change of any kind. Plus one, so that lists never written are 1
	// and 0 can mean "no version given".
	return max(e.N, d.N, u.N) + 1, nil
}

// The attributes a submitted name should carry: what the province's
// checks and the contact person's follow-up need.
var submittedDetails = []DetailField{DetailCreditCode, DetailContact, DetailPhone}

// Submission is what a county's confirmation would submit: its standing,
// named and unnamed counts, the stations missing from the tutoring list
// (note 1), how many names lack each attribute, and the version of the lists
// it was read at (for Confirm).
type Submission struct {
	Standing
	Named, Unnamed Counts
	NoteOne        []Listed
	// MissingDetails counts, per attribute of submittedDetails, the named
	// units that lack it; in submittedDetails order.
	MissingDetails []MissingDetail
	Version        int64
}

// MissingDetail is how many named units lack one attribute.
type MissingDetail struct {
	Field DetailField
	Units int
}

// Submission reads what county would submit now.
func (s *Store) Submission(ctx context.Context, c *Campaign, county string) (Submission, error) {
	var sub Submission
	// The version first: a change landing while the rest is read makes
	// the preview's version older than what it shows, and a press of it
	// is refused rather than confirming something unseen.
	v, err := listsVersion(s.db.WithContext(ctx), county)
	if err != nil {
		return Submission{}, err
	}
	sub.Version = v
	names, err := s.Names(ctx, county)
	if err != nil {
		return Submission{}, err
	}
	done, err := s.Totals(ctx)
	if err != nil {
		return Submission{}, err
	}
	details, err := s.Details(ctx, county)
	if err != nil {
		return Submission{}, err
	}
	sub.Standing = StandCounty(c, county, done[county])
	units := map[Unit]bool{}
	for _, l := range names {
		sub.Named[l.Indicator]++
		units[UnitOf(l)] = true
	}
	sub.Unnamed = sub.Standing.Unnamed(sub.Named)
	sub.NoteOne = MissingFromTutoring(names)
	for _, f := range submittedDetails {
		n := 0
		for u := range units {
			if details[u].Get(f) == "" {
				n++
			}
		}
		if n > 0 {
			sub.MissingDetails = append(sub.MissingDetails, MissingDetail{Field: f, Units: n})
		}
	}
	return sub, nil
}
