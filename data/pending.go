package data

// A previewed import waits here for its 确认导入: the rows as read from the
// file, so that a confirmation after a restart, or after the lists changed,
// checks them again against the lists of that moment. The preview's question
// (a Choice) names the pending import and the digest of what it showed.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"gorm.io/gorm"
)

// PendingImport is a file read and previewed, not yet imported.
type PendingImport struct {
	ID        int64 `gorm:"primaryKey"`
	UserID    int64 `gorm:"not null"`
	ChatID    int64 `gorm:"not null"`
	MessageID int64 `gorm:"not null"` // the message the file came with
	FileName  string
	Rows      []ImportRow `gorm:"serializer:json"`
	CreatedAt time.Time   `gorm:"not null"`
	ExpiresAt time.Time   `gorm:"not null;index"`
	// BatchID is the import's batch once confirmed: a pending import is
	// imported at most once.
	BatchID *int64
}

// ImportOption marks a stored question as an import preview: its options
// are ImportOption, the pending import's id and the digest of the preview.
const ImportOption = "import"

// ImportChoice reads an import preview's question: the pending import and
// the digest shown; ok is false for any other question.
func ImportChoice(c Choice) (pending int64, digest string, ok bool) {
	if len(c.Options) != 3 || c.Options[0] != ImportOption {
		return 0, "", false
	}
	id, err := strconv.ParseInt(c.Options[1], 10, 64)
	if err != nil || id <= 0 {
		return 0, "", false
	}
	return id, c.Options[2], true
}

// Errors of a confirmation.
var (
	ErrImported      = errors.New("import: already imported")
	ErrImportExpired = errors.New("import: preview expired")
)

// StageImport keeps a previewed file and asks its question (the 确认导入
// button), with the receipt and reply of the delivery that brought the
// file, in one transaction: a redelivered file finds its receipt
// (ErrHandled) and stages nothing. closes, if not 0, is the question this
// one replaces (a preview checked again). p.ID, if set, is a pending import
// staged before: it is asked about again instead of stored anew.
func (s *Store) StageImport(ctx context.Context, p PendingImport, digest string, closes int64, a Answer, draft func(choiceID int64) Draft) (int64, error) {
	now := s.Now().UTC()
	var c Choice
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		if closes != 0 {
			if err := closeChoice(tx, closes, now); err != nil {
				return err
			}
		}
		if err := tx.Where("expires_at < ? AND batch_id IS NULL", now).Delete(&PendingImport{}).Error; err != nil {
			return fmt.Errorf("import: drop expired: %w", err)
		}
		if p.ID == 0 {
			p.CreatedAt, p.ExpiresAt = now, now.Add(ImportTTL)
			if err := tx.Create(&p).Error; err != nil {
				return fmt.Errorf("import: stage: %w", err)
			}
		}
		if err := closeChoices(tx, p.ChatID, p.MessageID, now); err != nil {
			return err
		}
		if err := closeImports(tx, p.UserID, p.ChatID, now); err != nil {
			return err
		}
		c = Choice{UserID: p.UserID, ChatID: p.ChatID, MessageID: p.MessageID, CreatedAt: now,
			Options: []string{ImportOption, strconv.FormatInt(p.ID, 10), digest}}
		return s.saveQuestion(tx, &c, a, draft)
	})
	if err != nil {
		return 0, err
	}
	return c.ID, nil
}

// CloseImports closes userID's open import previews in chatID: a newer
// file supersedes them, also one that cannot be imported.
func (s *Store) CloseImports(ctx context.Context, userID, chatID int64) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		return closeImports(tx, userID, chatID, s.Now().UTC())
	})
}

func closeImports(tx *gorm.DB, userID, chatID int64, now time.Time) error {
	var open []Choice
	if err := tx.Where("user_id = ? AND chat_id = ? AND closed_at IS NULL", userID, chatID).Find(&open).Error; err != nil {
		return fmt.Errorf("import: open previews: %w", err)
	}
	var ids []int64
	for _, c := range open {
		if _, _, ok := ImportChoice(c); ok {
			ids = append(ids, c.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	if err := tx.Model(&Choice{}).Where("id IN ?", ids).Update("closed_at", now).Error; err != nil {
		return fmt.Errorf("import: close previews: %w", err)
	}
	return nil
}

// LoadPendingImport loads a staged import: ErrNotFound if there is none
// (it expired and was dropped), ErrImportExpired or ErrImported when it can
// no longer be confirmed.
func (s *Store) LoadPendingImport(ctx context.Context, id int64) (PendingImport, error) {
	var p PendingImport
	err := s.db.WithContext(ctx).Take(&p, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("import: load %d: %w", id, err)
	}
	if p.BatchID != nil {
		return p, ErrImported
	}
	if !s.Now().Before(p.ExpiresAt) {
		return p, ErrImportExpired
	}
	return p, nil
}

// Import writes a confirmed plan as one batch: the new names with their
// counts, and the attributes, all or nothing. a.Choice is the preview's
// question, closed by the write. The lists must be as the plan read them
// (ErrListsChanged otherwise), and the pending import not imported yet
// (ErrImported).
func (s *Store) Import(ctx context.Context, a Author, pendingID int64, plan ImportPlan) (Outcome, error) {
	if plan.Empty() {
		return Outcome{}, errors.New("import: nothing to import")
	}
	return s.writeThen(ctx, a, KindImport, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
		var done int64
		if err := tx.Model(&PendingImport{}).Where("id = ? AND batch_id IS NOT NULL", pendingID).Count(&done).Error; err != nil {
			return nil, fmt.Errorf("import: check %d: %w", pendingID, err)
		}
		if done > 0 {
			return nil, ErrImported
		}
		for county, v := range plan.Versions {
			now, err := listsVersion(tx, county)
			if err != nil {
				return nil, err
			}
			if now != v {
				return nil, ErrListsChanged
			}
		}
		// Attributes alone change a county's lists too: the rule of a
		// change of its figures (markLate) holds for them.
		var touched []Entry
		for county := range plan.Versions {
			touched = append(touched, Entry{County: county})
		}
		if err := s.markLate(tx, a, b, touched, b.CreatedAt); err != nil {
			return nil, err
		}
		return importEntries(plan), nil
	}, func(tx *gorm.DB, b *Batch) error {
		res := tx.Model(&PendingImport{}).Where("id = ? AND batch_id IS NULL", pendingID).Update("batch_id", b.ID)
		if res.Error != nil {
			return fmt.Errorf("import: mark %d imported: %w", pendingID, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrImported
		}
		rows := importDetails(plan, b)
		if len(rows) == 0 {
			return nil
		}
		if err := tx.CreateInBatches(&rows, 500).Error; err != nil {
			return fmt.Errorf("import: insert details: %w", err)
		}
		return nil
	})
}

// importEntries are the entries of a plan: one per list that gets names,
// its amount what the names add beyond the unnamed the count held.
func importEntries(plan ImportPlan) []Entry {
	out := make([]Entry, 0, len(plan.Groups))
	at := map[key]int{}
	for _, g := range plan.Groups {
		at[key{g.County, g.Indicator}] = len(out)
		out = append(out, Entry{County: g.County, Indicator: g.Indicator, Op: OpAdd, Amount: g.After - g.Before,
			Line: fmt.Sprintf("导入 %s %s %d%s", g.County, g.Indicator.Name(), g.Names, g.Indicator.Unit())})
	}
	for _, n := range plan.New {
		i := at[key{n.County, n.Indicator}]
		out[i].names = append(out[i].names, nameOp{name: n.Name})
	}
	return out
}

// importDetails are the attribute records of a plan, in row order.
func importDetails(plan ImportPlan, b *Batch) []DetailRecord {
	var rows []DetailRecord
	add := func(county, name string, vs []DetailValue) {
		norm := NormalizeName(name)
		for _, v := range vs {
			rows = append(rows, DetailRecord{BatchID: b.ID, County: county, Norm: norm, Name: name, Field: v.Field.Key(), Value: v.Value,
				Late: b.Late, UserID: b.UserID, UserName: b.UserName, CreatedAt: b.CreatedAt})
		}
	}
	for _, n := range plan.New {
		add(n.County, n.Name, n.Values)
	}
	for _, c := range plan.Changes {
		add(c.County, c.Name, c.Values)
	}
	return rows
}
