package data

import (
	"context"
	"errors"
	"fmt"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Role says what a person on the roster may do.
type Role string

const (
	RoleAdmin  Role = "admin"  // the city contact person: every county, the roster, the targets
	RoleCounty Role = "county" // county staff: read everything, write their own county
	RoleViewer Role = "viewer" // leaders and colleagues: read only
)

// Person is one roster member, keyed by Telegram user id.
type Person struct {
	UserID int64  `gorm:"primaryKey;autoIncrement:false"`
	Role   Role   `gorm:"not null"`
	County string // canonical county name, for RoleCounty
	Name   string
}

// TableName keeps the table name in the domain's words.
func (Person) TableName() string { return "roster" }

// CanWrite reports whether p may change the figures of county.
func (p Person) CanWrite(county string) bool {
	switch p.Role {
	case RoleAdmin:
		return true
	case RoleCounty:
		return p.County == county
	}
	return false
}

// RoleName is the role in Chinese, for replies.
func (r Role) RoleName() string {
	switch r {
	case RoleAdmin:
		return "市局管理员"
	case RoleCounty:
		return "区县填报员"
	case RoleViewer:
		return "只读查看"
	}
	return string(r)
}

// Person looks a user up on the roster.
func (s *Store) Person(ctx context.Context, userID int64) (Person, error) {
	var p Person
	err := s.db.WithContext(ctx).Take(&p, "user_id = ?", userID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return p, ErrNotFound
	}
	if err != nil {
		return p, fmt.Errorf("roster: look up %d: %w", userID, err)
	}
	return p, nil
}

// People lists the roster, admins first, then by county and user id.
func (s *Store) People(ctx context.Context) ([]Person, error) {
	var out []Person
	if err := s.db.WithContext(ctx).Order("role, county, user_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("roster: list: %w", err)
	}
	return out, nil
}

// SavePerson adds a person to the roster or changes their role.
func (s *Store) SavePerson(ctx context.Context, p Person) error {
	err := s.db.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns([]string{"role", "county", "name"}),
	}).Create(&p).Error
	if err != nil {
		return fmt.Errorf("roster: save %d: %w", p.UserID, err)
	}
	return nil
}

// RemovePerson takes a person off the roster. Their ledger entries stay.
func (s *Store) RemovePerson(ctx context.Context, userID int64) error {
	res := s.db.WithContext(ctx).Delete(&Person{}, "user_id = ?", userID)
	if res.Error != nil {
		return fmt.Errorf("roster: remove %d: %w", userID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// SeedRoster writes the people of the config file. The file is authoritative
// for the people it lists; people added from chat are left alone.
func (s *Store) SeedRoster(ctx context.Context, people []Person) error {
	for _, p := range people {
		if err := s.SavePerson(ctx, p); err != nil {
			return err
		}
	}
	return nil
}
