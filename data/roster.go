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

// Person is one roster member, keyed by user id: their Telegram user id, or,
// for someone known only on DingTalk, an id the store allocates (below
// FirstDingTalkUserID). Role and county are the person's, whichever channel
// they write from.
type Person struct {
	UserID int64  `gorm:"primaryKey;autoIncrement:false"`
	Role   Role   `gorm:"not null"`
	County string // canonical county name, for RoleCounty
	Name   string
	// DingTalkID is the person's DingTalk staff id (senderStaffId); nil for
	// someone not on DingTalk.
	DingTalkID *string `gorm:"column:dingtalk_id;uniqueIndex"`
}

// FirstDingTalkUserID is the first user id the store allocates to a person
// known only on DingTalk; the next ones go further down. Telegram's user ids
// are positive and its chat ids stay within 2^52 either way (a reminder's
// recipient is a person's user id or a group's chat id, so the two must not
// meet); -1 is the console's stand-in admin.
const FirstDingTalkUserID = -(int64(1) << 56)

// realPeople selects the roster members that count as admins: everyone but
// the console's stand-in.
const realPeople = "(user_id > 0 OR user_id <= -72057594037927936)"

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
	r, err := s.rosterNow(ctx)
	if err != nil {
		return Person{}, fmt.Errorf("roster: look up %d: %w", userID, err)
	}
	p, ok := r.byID[userID]
	if !ok {
		return Person{}, ErrNotFound
	}
	return p, nil
}

// PersonByDingTalk looks a person up by their DingTalk staff id.
func (s *Store) PersonByDingTalk(ctx context.Context, staffID string) (Person, error) {
	r, err := s.rosterNow(ctx)
	if err != nil {
		return Person{}, fmt.Errorf("roster: look up DingTalk staff %s: %w", staffID, err)
	}
	p, ok := r.byDing[staffID]
	if !ok {
		return Person{}, ErrNotFound
	}
	return p, nil
}

// SaveDingTalkPerson adds a person by DingTalk staff id, or changes the role
// of the person who has it (who may be on Telegram too). Someone new gets a
// user id allocated below FirstDingTalkUserID. It returns the person saved.
func (s *Store) SaveDingTalkPerson(ctx context.Context, p Person) (Person, error) {
	if p.DingTalkID == nil || *p.DingTalkID == "" {
		return p, fmt.Errorf("roster: no DingTalk staff id")
	}
	err := s.rosterWrite(ctx, func(tx *gorm.DB) error {
		var old Person
		err := tx.Take(&old, "dingtalk_id = ?", *p.DingTalkID).Error
		switch {
		case err == nil:
			p.UserID = old.UserID
			if p.Role != RoleAdmin {
				if err := keepAnAdmin(tx, p.UserID); err != nil {
					return err
				}
			}
		case !errors.Is(err, gorm.ErrRecordNotFound):
			return fmt.Errorf("roster: look up DingTalk staff %s: %w", *p.DingTalkID, err)
		}
		return saveByDingTalk(tx, &p)
	})
	return p, err
}

// saveByDingTalk writes p, found by its staff id, or new with an allocated
// user id.
func saveByDingTalk(tx *gorm.DB, p *Person) error {
	var old Person
	err := tx.Take(&old, "dingtalk_id = ?", *p.DingTalkID).Error
	switch {
	case err == nil:
		p.UserID = old.UserID
	case errors.Is(err, gorm.ErrRecordNotFound):
		var low *int64
		if err := tx.Model(&Person{}).Where("user_id <= ?", FirstDingTalkUserID).Select("MIN(user_id)").Scan(&low).Error; err != nil {
			return fmt.Errorf("roster: allocate a user id: %w", err)
		}
		p.UserID = FirstDingTalkUserID
		if low != nil {
			p.UserID = *low - 1
		}
	default:
		return fmt.Errorf("roster: look up DingTalk staff %s: %w", *p.DingTalkID, err)
	}
	return upsertPerson(tx, *p)
}

// People lists the roster, admins first, then by county and user id.
func (s *Store) People(ctx context.Context) ([]Person, error) {
	var out []Person
	if err := s.db.WithContext(ctx).Order("role, county, user_id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("roster: list: %w", err)
	}
	return out, nil
}

// ErrLastAdmin refuses to remove or demote the last admin: no one would be
// left to manage the roster from chat.
var ErrLastAdmin = errors.New("roster: the last admin cannot be removed or demoted")

// SavePerson adds a person to the roster or changes their role. Demoting the
// last admin is refused with ErrLastAdmin.
func (s *Store) SavePerson(ctx context.Context, p Person) error {
	return s.rosterWrite(ctx, func(tx *gorm.DB) error {
		if p.Role != RoleAdmin {
			if err := keepAnAdmin(tx, p.UserID); err != nil {
				return err
			}
		}
		return upsertPerson(tx, p)
	})
}

func upsertPerson(tx *gorm.DB, p Person) error {
	cols := []string{"role", "county", "name"}
	if p.DingTalkID != nil {
		cols = append(cols, "dingtalk_id")
	}
	err := tx.Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "user_id"}},
		DoUpdates: clause.AssignmentColumns(cols),
	}).Create(&p).Error
	if err != nil {
		return fmt.Errorf("roster: save %d: %w", p.UserID, err)
	}
	return nil
}

// RemovePerson takes a person off the roster. Their ledger entries stay.
// Removing the last admin is refused with ErrLastAdmin.
func (s *Store) RemovePerson(ctx context.Context, userID int64) error {
	return s.rosterWrite(ctx, func(tx *gorm.DB) error {
		if err := keepAnAdmin(tx, userID); err != nil {
			return err
		}
		return deletePerson(tx, userID)
	})
}

// ForceRemovePerson is RemovePerson without the last-admin guard, for the
// console's stand-in admin: it is on the roster only while the console runs,
// and the roster it leaves, maybe with no admin, is the one it found.
func (s *Store) ForceRemovePerson(ctx context.Context, userID int64) error {
	return s.rosterWrite(ctx, func(tx *gorm.DB) error { return deletePerson(tx, userID) })
}

func deletePerson(tx *gorm.DB, userID int64) error {
	res := tx.Delete(&Person{}, "user_id = ?", userID)
	if res.Error != nil {
		return fmt.Errorf("roster: remove %d: %w", userID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// rosterWrite runs fn in a write transaction serialized with every other
// write, in this process and others (BEGIN IMMEDIATE on SQLite, the advisory
// lock on PostgreSQL): two admins removing each other at once then run one
// after the other, and the second sees that the first left it the last one.
// It marks the roster changed, so every process reloads its cached copy.
func (s *Store) rosterWrite(ctx context.Context, fn func(tx *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			return err
		}
		return bumpGeneration(tx, genRoster)
	})
}

// keepAnAdmin refuses, with ErrLastAdmin, a change that takes userID's admin
// role away when no other admin would remain. Only real people count (on
// Telegram or DingTalk): the console's stand-in goes when the console ends.
func keepAnAdmin(tx *gorm.DB, userID int64) error {
	var p Person
	err := tx.Take(&p, "user_id = ?", userID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("roster: look up %d: %w", userID, err)
	}
	if p.Role != RoleAdmin {
		return nil
	}
	var others int64
	err = tx.Model(&Person{}).Where("role = ? AND user_id <> ? AND "+realPeople, RoleAdmin, userID).Count(&others).Error
	if err != nil {
		return fmt.Errorf("roster: count admins: %w", err)
	}
	if others == 0 {
		return ErrLastAdmin
	}
	return nil
}

// SeedRoster writes the people of the config file. The file is authoritative
// for the people it lists; people added from chat are left alone. It is one
// transaction, checked at its end, so the order of the file does not matter;
// a file that would leave no admin where there was one is refused with
// ErrLastAdmin.
func (s *Store) SeedRoster(ctx context.Context, people []Person) error {
	if len(people) == 0 {
		return nil
	}
	return s.rosterWrite(ctx, func(tx *gorm.DB) error {
		before, err := countAdmins(tx)
		if err != nil {
			return err
		}
		for _, p := range people {
			if p.UserID == 0 {
				// Known only on DingTalk: found by staff id, or given an id.
				if err := saveByDingTalk(tx, &p); err != nil {
					return err
				}
				continue
			}
			if err := upsertPerson(tx, p); err != nil {
				return err
			}
		}
		after, err := countAdmins(tx)
		if err != nil {
			return err
		}
		if before > 0 && after == 0 {
			return fmt.Errorf("config: roster: demotes the last admin: %w", ErrLastAdmin)
		}
		return nil
	})
}

func countAdmins(tx *gorm.DB) (int64, error) {
	var n int64
	if err := tx.Model(&Person{}).Where("role = ? AND "+realPeople, RoleAdmin).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("roster: count admins: %w", err)
	}
	return n, nil
}

// RosterNames maps the user id of each roster member who has a name to that
// name. Records keep the name their author went by when they were written
// (the Telegram display name, often a nickname such as u1001); lists, the
// history and the export are official documents and show the roster's name.
type RosterNames map[int64]string

// RosterNames reads the names of the roster.
func (s *Store) RosterNames(ctx context.Context) (RosterNames, error) {
	var people []Person
	if err := s.db.WithContext(ctx).Where("name <> ''").Find(&people).Error; err != nil {
		return nil, fmt.Errorf("roster: names: %w", err)
	}
	out := make(RosterNames, len(people))
	for _, p := range people {
		out[p.UserID] = p.Name
	}
	return out, nil
}

// Of is the name to show for userID, whose record was written as written:
// the roster's name when they have one (they may have left the roster since:
// then the name as written).
func (n RosterNames) Of(userID int64, written string) string {
	if name, ok := n[userID]; ok {
		return name
	}
	return written
}

// Entries puts the roster's names on entries already written.
func (n RosterNames) Entries(es []Entry) {
	for i := range es {
		es[i].UserName = n.Of(es[i].UserID, es[i].UserName)
	}
}

// Listed puts the roster's names on the recorders of listed names.
func (n RosterNames) Listed(ls []Listed) {
	for i := range ls {
		ls[i].UserName = n.Of(ls[i].UserID, ls[i].UserName)
	}
}

// Confirmations puts the roster's names on the counties' sign-offs.
func (n RosterNames) Confirmations(cs map[string]Confirmation) {
	for k, c := range cs {
		c.UserName = n.Of(c.UserID, c.UserName)
		cs[k] = c
	}
}
