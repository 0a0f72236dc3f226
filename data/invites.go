package data

// Invites instead of numeric ids: an admin's /invite 柯桥 张三 makes a
// one-time code, carried by a deep link; whoever opens it within its time
// joins the roster with that role and county. An invite is used at most
// once (the unique invite id of its use).

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// InviteFor is how long an invite can be used.
const InviteFor = 7 * 24 * time.Hour

// Invite is a one-time invitation onto the roster.
type Invite struct {
	ID            int64  `gorm:"primaryKey"`
	Code          string `gorm:"uniqueIndex;not null"`
	Role          Role   `gorm:"not null"`
	County        string
	Name          string
	CreatedBy     int64 `gorm:"not null"`
	CreatedByName string
	CreatedAt     time.Time `gorm:"not null"`
	ExpiresAt     time.Time `gorm:"not null"`
}

// InviteUse records who used an invite; at most one per invite.
type InviteUse struct {
	ID        int64 `gorm:"primaryKey"`
	InviteID  int64 `gorm:"uniqueIndex;not null"`
	UserID    int64 `gorm:"not null"`
	UserName  string
	CreatedAt time.Time `gorm:"not null"`
}

// Why an invite cannot be used.
var (
	ErrInviteUnknown = errors.New("invites: no such code")
	ErrInviteUsed    = errors.New("invites: already used")
	ErrInviteExpired = errors.New("invites: expired")
	ErrOnRoster      = errors.New("invites: already on the roster")
)

// CreateInvite stores a new invite for p's role, county and name, made by
// by, and returns it with its code.
func (s *Store) CreateInvite(ctx context.Context, p Person, by Author) (Invite, error) {
	var raw [10]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return Invite{}, fmt.Errorf("invites: code: %w", err)
	}
	now := s.Now().UTC()
	inv := Invite{Code: strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw[:])),
		Role: p.Role, County: p.County, Name: p.Name, CreatedBy: by.UserID, CreatedByName: by.Name,
		CreatedAt: now, ExpiresAt: now.Add(InviteFor)}
	if err := s.db.WithContext(ctx).Create(&inv).Error; err != nil {
		return Invite{}, fmt.Errorf("invites: save: %w", err)
	}
	return inv, nil
}

// UseInvite puts userID on the roster with the invite's role and county
// (and its name, else name), once: a used, expired or unknown code is refused.
func (s *Store) UseInvite(ctx context.Context, code string, userID int64, name string) (Invite, Person, error) {
	var inv Invite
	var p Person
	now := s.Now().UTC()
	err := s.rosterWrite(ctx, func(tx *gorm.DB) error {
		err := tx.Where("code = ?", strings.ToLower(code)).Take(&inv).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrInviteUnknown
		}
		if err != nil {
			return fmt.Errorf("invites: look up: %w", err)
		}
		var n int64
		if err := tx.Model(&InviteUse{}).Where("invite_id = ?", inv.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("invites: uses: %w", err)
		}
		if n > 0 {
			return ErrInviteUsed
		}
		if !now.Before(inv.ExpiresAt) {
			return ErrInviteExpired
		}
		if err := tx.Model(&Person{}).Where("user_id = ?", userID).Count(&n).Error; err != nil {
			return fmt.Errorf("invites: roster: %w", err)
		}
		if n > 0 {
			return ErrOnRoster
		}
		p = Person{UserID: userID, Role: inv.Role, County: inv.County, Name: inv.Name}
		if p.Name == "" {
			p.Name = name
		}
		if err := tx.Create(&InviteUse{InviteID: inv.ID, UserID: userID, UserName: name, CreatedAt: now}).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return ErrInviteUsed
			}
			return fmt.Errorf("invites: use: %w", err)
		}
		return upsertPerson(tx, p)
	})
	return inv, p, err
}
