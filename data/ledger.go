package data

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Batch kinds: what a group of entries did.
const (
	KindUpdate = "update" // a message of staff
	KindUndo   = "undo"   // /undo or the undo button: compensates one batch
	KindEdit   = "edit"   // an edited message: compensates the old batch, then applies the new text
	KindRevert = "revert" // an edited message that no longer parses: compensates only
	KindImport = "import" // a filled-in /template sent back and confirmed (imports.go)
)

// undoable are the kinds of batch an undo takes back: what a person
// recorded, by a message, an edit or a spreadsheet.
var undoable = []string{KindUpdate, KindEdit, KindImport}

// Batch is everything one message did to the ledger. Batches and entries are
// only ever inserted: a correction is a new batch that compensates an old one.
type Batch struct {
	ID int64 `gorm:"primaryKey"`
	// UpdateID is Telegram's update id: unique, so an update delivered twice is
	// recorded once. Nil for sources without one (the console).
	UpdateID *int64 `gorm:"uniqueIndex"`
	Kind     string `gorm:"not null"`
	// Channel is the channel the message came by ("telegram", "dingtalk";
	// "" for the console and for batches older than the column); MsgID is
	// the platform's own message id where it is a string (DingTalk's
	// msgId), "" otherwise.
	Channel string `gorm:"not null;default:''"`
	MsgID   string `gorm:"column:msg_id;not null;default:''"`
	// Reverts is the batch this one compensates. Unique: a batch is undone at
	// most once, even by two processes racing on one database.
	Reverts   *int64 `gorm:"uniqueIndex"`
	UserID    int64  `gorm:"index;not null"`
	UserName  string
	ChatID    int64 `gorm:"index:idx_batches_message"`
	MessageID int64 `gorm:"index:idx_batches_message"`
	Text      string
	// Late is set on a batch that changed a county after its lists closed
	// (the due day was over, or the county had confirmed them).
	Late      bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null"`
}

// Entry is one signed change of one county's indicator: the evidence behind
// every total, with who wrote it, where and when.
type Entry struct {
	ID        int64     `gorm:"primaryKey"`
	BatchID   int64     `gorm:"index;not null"`
	County    string    `gorm:"index:idx_entries_pace,priority:1;not null"`
	Indicator Indicator `gorm:"index:idx_entries_pace,priority:2;not null"`
	Op        Op        `gorm:"not null"`
	Amount    int       // as typed: the delta for OpAdd, the new total for OpSet
	Delta     int       `gorm:"index:idx_entries_pace,priority:4;not null"`
	Line      string    // the line of the message this entry came from
	UserID    int64     `gorm:"not null"`
	UserName  string
	ChatID    int64
	MessageID int64
	Late      bool `gorm:"not null;default:false"` // written after the county's lists closed
	// idx_entries_pace (county, indicator, created_at, delta) is the one
	// index an entry adds beside its batch's: the pace query (a range of
	// days per county and indicator) and the start-up check of every total
	// (a sum per county and indicator) both read it alone. Each index more
	// is one more B-tree write per entry on the user's path.
	CreatedAt time.Time `gorm:"index:idx_entries_pace,priority:3;not null"`

	names []nameOp // the names this entry puts on or takes off its list; see names.go
}

// Total is the running sum of the entries of one county and indicator, kept in
// the same transaction as the entries so reading progress needs no scan.
type Total struct {
	County    string    `gorm:"primaryKey"`
	Indicator Indicator `gorm:"primaryKey"`
	Done      int       `gorm:"not null"`
	// Named is how many names the list of this county and indicator holds
	// now: what a count going down is checked against, with no count of
	// the list itself.
	Named int `gorm:"not null;default:0"`
}

// Author says who sent a message and from where.
type Author struct {
	UserID    int64
	Name      string
	ChatID    int64
	MessageID int64
	UpdateID  int64 // 0 when the source has none
	Channel   string
	MsgID     string // the platform's string message id (DingTalk's msgId)
	Text      string
	// Admin may still change a county after its lists closed (see ClosedError).
	Admin bool
	// Answer, if set, is stored with the write: the delivery's receipt and
	// its reply, in the same transaction (see outbox.go).
	Answer *Answer
	// Choice, if not 0, is the question this write answers: it must still be
	// open, and the write closes it.
	Choice int64
}

// Change is one requested change: add Amount (OpAdd), or set the total to
// Amount (OpSet).
type Change struct {
	County    string
	Indicator Indicator
	Op        Op
	Amount    int
	Line      string
	// Names are the units or enterprises an add puts on the list (Amount > 0)
	// or takes off it (Amount < 0); as many as |Amount|, or none.
	Names []string
}

// Effect is what one entry did to one total.
type Effect struct {
	County    string
	Indicator Indicator
	Delta     int
	Done      int // the total after the whole batch
}

// Outcome is the result of a write.
type Outcome struct {
	Batch   Batch
	Effects []Effect
	// Duplicate is true when this update had been recorded before: nothing
	// changed now, and Effects show the current totals.
	Duplicate bool
	// Answered is true when the write stored the author's Answer with it.
	Answered bool
	// Elsewhere are the firms this batch put on a list that are on another
	// county's list too: recorded, and shown for the admin to look into.
	Elsewhere []Elsewhere
}

// BelowZeroError refuses a change that would take a total below zero.
type BelowZeroError struct {
	County    string
	Indicator Indicator
	Done      int
	Delta     int
}

func (e *BelowZeroError) Error() string {
	return fmt.Sprintf("ledger: %s %s would go below zero (%d%+d)", e.County, e.Indicator.Key(), e.Done, e.Delta)
}

// ErrAlreadyUndone is returned when a batch has already been compensated.
var ErrAlreadyUndone = errors.New("ledger: already undone")

type key struct {
	county string
	ind    Indicator
}

// Record applies the changes of one message, all or nothing.
func (s *Store) Record(ctx context.Context, a Author, changes []Change) (Outcome, error) {
	if err := checkNames(changes); err != nil {
		return Outcome{}, err
	}
	return s.write(ctx, a, KindUpdate, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
		return planChanges(changes), nil
	})
}

// Undo compensates batch id (0: the author's last update that is not yet
// undone). It refuses a batch that is already undone.
func (s *Store) Undo(ctx context.Context, a Author, batchID int64) (Outcome, error) {
	if batchID == 0 {
		b, err := s.LastUndoable(ctx, a.UserID)
		if err != nil {
			return Outcome{}, err
		}
		batchID = b.ID
	} else {
		b, err := s.Batch(ctx, batchID)
		if err != nil {
			return Outcome{}, err
		}
		if !slices.Contains(undoable, b.Kind) {
			return Outcome{}, fmt.Errorf("ledger: batch %d is a %s: %w", batchID, b.Kind, ErrNotFound)
		}
	}
	return s.write(ctx, a, KindUndo, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
		b.Reverts = &batchID
		return compensate(tx, batchID)
	})
}

// Replace handles an edited message: every live batch of that message is
// compensated, then the new changes are applied, in one transaction. With no
// changes it only reverts.
func (s *Store) Replace(ctx context.Context, a Author, changes []Change) (Outcome, error) {
	kind := KindEdit
	if len(changes) == 0 {
		kind = KindRevert
	}
	if err := checkNames(changes); err != nil {
		return Outcome{}, err
	}
	return s.write(ctx, a, kind, func(tx *gorm.DB, b *Batch) ([]Entry, error) {
		var live []Batch
		err := tx.Where("chat_id = ? AND message_id = ? AND kind IN ?", a.ChatID, a.MessageID, []string{KindUpdate, KindEdit}).
			Where(notReverted).
			Order("id").Find(&live).Error
		if err != nil {
			return nil, fmt.Errorf("ledger: find edited message: %w", err)
		}
		// The message as it reads now is what counts: a question its old
		// text raised is closed, so its buttons cannot record it again.
		if err := closeChoices(tx, a.ChatID, a.MessageID, b.CreatedAt); err != nil {
			return nil, err
		}
		var out []Entry
		for i, old := range live {
			es, err := compensate(tx, old.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, es...)
			if i == len(live)-1 {
				b.Reverts = &old.ID
				break
			}
			// A message has two live batches when it was edited and then a
			// button of the question it raised was pressed. Reverts holds
			// one batch, so each other one gets an empty revert batch of
			// its own: without it, it would still look live, and a later
			// edit or undo would compensate it a second time.
			mark := Batch{Kind: KindRevert, Reverts: &old.ID, UserID: b.UserID, UserName: b.UserName,
				ChatID: b.ChatID, MessageID: b.MessageID, Text: b.Text, CreatedAt: b.CreatedAt}
			if err := tx.Create(&mark).Error; err != nil {
				return nil, fmt.Errorf("ledger: mark batch %d reverted: %w", old.ID, err)
			}
		}
		return append(out, planChanges(changes)...), nil
	})
}

// notReverted keeps the batches no later batch compensates: a probe of the
// unique index on reverts per candidate (NOT IN over a subquery would build
// the set of every reverted id first).
const notReverted = "NOT EXISTS (SELECT 1 FROM batches AS later WHERE later.reverts = batches.id)"

// LastUndoable finds the author's most recent update that is not yet undone.
func (s *Store) LastUndoable(ctx context.Context, userID int64) (Batch, error) {
	var b Batch
	err := s.db.WithContext(ctx).
		Where("user_id = ? AND kind IN ?", userID, undoable).Where(notReverted).
		Order("id DESC").Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("ledger: last update: %w", err)
	}
	return b, nil
}

// Batch loads one batch.
func (s *Store) Batch(ctx context.Context, id int64) (Batch, error) {
	var b Batch
	err := s.db.WithContext(ctx).Take(&b, id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("ledger: batch %d: %w", id, err)
	}
	return b, nil
}

func planChanges(changes []Change) []Entry {
	out := make([]Entry, 0, len(changes))
	for _, c := range changes {
		out = append(out, Entry{County: c.County, Indicator: c.Indicator, Op: c.Op, Amount: c.Amount, Line: c.Line, names: namesOf(c)})
	}
	return out
}

// compensate plans entries that cancel batch id, inside tx.
func compensate(tx *gorm.DB, id int64) ([]Entry, error) {
	var n int64
	if err := tx.Model(&Batch{}).Where("reverts = ?", id).Count(&n).Error; err != nil {
		return nil, fmt.Errorf("ledger: check undo: %w", err)
	}
	if n > 0 {
		return nil, ErrAlreadyUndone
	}
	var old []Entry
	if err := tx.Where("batch_id = ?", id).Order("id").Find(&old).Error; err != nil {
		return nil, fmt.Errorf("ledger: load batch %d: %w", id, err)
	}
	out := make([]Entry, 0, len(old))
	for _, e := range old {
		if e.Op == OpUndo {
			continue // an edit batch compensates its predecessor first: that part stays
		}
		out = append(out, Entry{County: e.County, Indicator: e.Indicator, Op: OpUndo, Amount: -e.Delta, Line: e.Line})
	}
	if err := compensateNames(tx, id, old, out); err != nil {
		return nil, err
	}
	return out, nil
}

// plan works out, inside the write transaction, the entries a batch adds;
// it may set the batch's Reverts.
type plan func(tx *gorm.DB, b *Batch) ([]Entry, error)

// writeReq is one write, committed by its own caller or in a group.
type writeReq struct {
	ctx  context.Context
	a    Author
	kind string
	plan plan
	// after, if set, writes further rows of the batch once it is inserted.
	after func(tx *gorm.DB, b *Batch) error
	done  chan writeResult
}

type writeResult struct {
	out Outcome
	err error
}

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("ledger: store closed")

// writer is the state of the store's one writer: at most one commit runs at
// a time, so the ledger's writes never wait on each other's locks.
type writer struct {
	mu     sync.Mutex
	busy   bool        // a commit is under way
	queue  []*writeReq // writes that arrived while it was
	closed bool
	idle   *sync.Cond // signalled when busy turns false
}

// maxGroup bounds how many writes share one transaction.
const maxGroup = 64

// write commits one batch and returns once the commit has reached the disk:
// the reply to the user is only sent after this returns without error.
func (s *Store) write(ctx context.Context, a Author, kind string, p plan) (Outcome, error) {
	return s.writeThen(ctx, a, kind, p, nil)
}

// writeThen is write with rows that need the batch's id (a confirmation).
// With no commit under way the caller commits its write itself: a single
// sender pays no goroutine hand-off. A write that arrives while a commit
// syncs waits, and all that gathered are then committed together, each in
// its own savepoint: one fsync serves many users, and a write that fails (a
// total below zero, a duplicate) rolls back alone.
func (s *Store) writeThen(ctx context.Context, a Author, kind string, p plan, after func(tx *gorm.DB, b *Batch) error) (Outcome, error) {
	if err := ctx.Err(); err != nil {
		return Outcome{}, fmt.Errorf("ledger: %w", err)
	}
	req := &writeReq{ctx: ctx, a: a, kind: kind, plan: p, after: after, done: make(chan writeResult, 1)}
	s.w.mu.Lock()
	switch {
	case s.w.closed:
		s.w.mu.Unlock()
		return Outcome{}, ErrClosed
	case s.w.busy:
		s.w.queue = append(s.w.queue, req)
		s.w.mu.Unlock()
	default:
		s.w.busy = true
		s.w.mu.Unlock()
		s.commitInline(req)
	}
	res := <-req.done // always answered, committed or not
	return res.out, res.err
}

// commitInline commits req on the caller's goroutine, then hands the writes
// that queued meanwhile to a goroutine of their own, so the caller returns
// as soon as its commit is durable.
func (s *Store) commitInline(req *writeReq) {
	defer func() {
		if p := recover(); p != nil {
			s.drainOrIdle(true) // leave the writer usable for the others
			panic(p)
		}
	}()
	s.commitGroup([]*writeReq{req})
	s.drainOrIdle(true)
}

// drainOrIdle ends a commit: with writes waiting it starts the goroutine
// that commits them (spawn) or leaves busy set for the caller's loop to
// continue; with none it marks the writer idle.
func (s *Store) drainOrIdle(spawn bool) bool {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	if len(s.w.queue) == 0 {
		s.w.busy = false
		s.w.idle.Broadcast()
		return false
	}
	if spawn {
		go s.drain()
	}
	return true
}

// drain commits the waiting writes, up to maxGroup at a time, until none
// are left.
func (s *Store) drain() {
	for {
		s.w.mu.Lock()
		n := min(len(s.w.queue), maxGroup)
		reqs := s.w.queue[:n:n]
		s.w.queue = s.w.queue[n:]
		if len(s.w.queue) == 0 {
			s.w.queue = nil // let the served requests go
		}
		s.w.mu.Unlock()
		s.commitGroup(reqs)
		if !s.drainOrIdle(false) {
			return
		}
	}
}

func (s *Store) commitGroup(reqs []*writeReq) {
	if len(reqs) == 1 {
		// Alone, a write needs no savepoint: a failure rolls the whole
		// transaction back, and the conflict is explained afterwards.
		r := reqs[0]
		var out Outcome
		err := s.writeTx.WithContext(r.ctx).Transaction(func(tx *gorm.DB) error {
			if err := s.serializeWrites(tx); err != nil {
				return err
			}
			var err error
			out, err = s.apply(tx, r)
			return err
		})
		if err != nil {
			s.forgetUncommitted()
			out, err = s.afterConflict(s.db.WithContext(r.ctx), r, err)
		}
		r.done <- writeResult{out, err}
		return
	}
	results := make([]writeResult, len(reqs))
	err := s.writeTx.Transaction(func(tx *gorm.DB) error {
		if err := s.serializeWrites(tx); err != nil {
			return err
		}
		for i, r := range reqs {
			if err := r.ctx.Err(); err != nil {
				results[i].err = fmt.Errorf("ledger: %w", err)
				continue
			}
			if err := tx.SavePoint("w").Error; err != nil {
				return fmt.Errorf("ledger: savepoint: %w", err)
			}
			out, err := s.apply(tx, r)
			if err != nil {
				if rerr := tx.RollbackTo("w").Error; rerr != nil {
					return fmt.Errorf("ledger: rollback to savepoint: %w", rerr)
				}
				out, err = s.afterConflict(tx, r, err)
			}
			results[i] = writeResult{out, err}
		}
		return nil
	})
	if err != nil {
		s.forgetUncommitted()
	}
	for i, r := range reqs {
		if err != nil && results[i].err == nil {
			results[i] = writeResult{err: fmt.Errorf("ledger: commit: %w", err)}
		}
		r.done <- results[i]
	}
}

// afterConflict explains a unique-key conflict: the update was recorded
// before (by another process, or earlier in this group), or the batch was
// undone already.
func (s *Store) afterConflict(tx *gorm.DB, r *writeReq, err error) (Outcome, error) {
	if !errors.Is(err, gorm.ErrDuplicatedKey) {
		return Outcome{}, err
	}
	if an := r.a.Answer; an != nil && an.Key != "" {
		var n int64
		if cerr := tx.Model(&Receipt{}).Where("key = ?", an.Key).Count(&n).Error; cerr == nil && n > 0 {
			return Outcome{}, ErrHandled
		}
	}
	if r.a.UpdateID != 0 {
		if dup, ok, derr := seen(tx, r.a.UpdateID); derr == nil && ok {
			return dup, nil
		}
	}
	switch r.kind {
	case KindConfirm:
		return Outcome{}, ErrAlreadyConfirmed
	case KindReopen:
		return Outcome{}, ErrNotConfirmed
	}
	if r.kind != KindUpdate {
		return Outcome{}, ErrAlreadyUndone
	}
	return Outcome{}, err
}

// apply is the one place the ledger changes: it inserts the batch (the
// unique update id makes a redelivered update a no-op), works out each
// entry's delta against the current totals, refuses a total below zero, and
// writes entries and totals together.
func (s *Store) apply(tx *gorm.DB, r *writeReq) (Outcome, error) {
	a := r.a
	now := s.Now().UTC()
	b := Batch{Kind: r.kind, UserID: a.UserID, UserName: a.Name, ChatID: a.ChatID, MessageID: a.MessageID, Text: a.Text,
		Channel: a.Channel, MsgID: a.MsgID, CreatedAt: now}
	if a.UpdateID != 0 {
		// No look-up first: the unique index refuses a redelivered update,
		// and afterConflict then answers with what it recorded the first time.
		id := a.UpdateID
		b.UpdateID = &id
	}
	if a.Choice != 0 {
		if err := closeChoice(tx, a.Choice, now); err != nil {
			return Outcome{}, err
		}
	}
	entries, err := r.plan(tx, &b)
	if err != nil {
		return Outcome{}, err
	}
	if err := s.markLate(tx, a, &b, entries, now); err != nil {
		return Outcome{}, err
	}
	if err := insertBatch(tx, &b); err != nil {
		return Outcome{}, err
	}
	totals, named, err := applyTotals(tx, entries)
	if err != nil {
		return Outcome{}, err
	}
	for i := range entries {
		e := &entries[i]
		e.BatchID, e.UserID, e.UserName, e.ChatID, e.MessageID, e.CreatedAt = b.ID, a.UserID, a.Name, a.ChatID, a.MessageID, now
	}
	var elsewhere []Elsewhere
	if len(entries) > 0 {
		if err := insertEntries(tx, entries); err != nil {
			return Outcome{}, err
		}
		if elsewhere, err = writeNames(tx, &b, entries, totals, named); err != nil {
			return Outcome{}, err
		}
	}
	if r.after != nil {
		if err := r.after(tx, &b); err != nil {
			return Outcome{}, err
		}
	}
	out := Outcome{Batch: b, Effects: effects(entries, totals), Elsewhere: elsewhere}
	if a.Answer != nil {
		stored, err := s.storeAnswer(tx, *a.Answer, out)
		if err != nil {
			return Outcome{}, err
		}
		out.Answered = stored
	}
	return out, nil
}

// seen returns the outcome of an update that was recorded before.
func seen(tx *gorm.DB, updateID int64) (Outcome, bool, error) {
	var b Batch
	err := tx.Where("update_id = ?", updateID).Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Outcome{}, false, nil
	}
	if err != nil {
		return Outcome{}, false, fmt.Errorf("ledger: check update %d: %w", updateID, err)
	}
	var entries []Entry
	if err := tx.Where("batch_id = ?", b.ID).Order("id").Find(&entries).Error; err != nil {
		return Outcome{}, false, fmt.Errorf("ledger: load batch %d: %w", b.ID, err)
	}
	totals, err := loadTotals(tx, entries)
	if err != nil {
		return Outcome{}, false, err
	}
	return Outcome{Batch: b, Effects: effects(entries, totals), Duplicate: true}, true, nil
}

// countiesOf lists the counties entries touch, once each.
func countiesOf(entries []Entry) []string {
	var out []string
	seen := map[string]bool{}
	for _, e := range entries {
		if !seen[e.County] {
			seen[e.County] = true
			out = append(out, e.County)
		}
	}
	return out
}

func effects(entries []Entry, totals map[key]int) []Effect {
	out := make([]Effect, 0, len(entries))
	for _, e := range entries {
		out = append(out, Effect{County: e.County, Indicator: e.Indicator, Delta: e.Delta, Done: totals[key{e.County, e.Indicator}]})
	}
	return out
}

// History returns the newest entries, of one county or (county "") all.
func (s *Store) History(ctx context.Context, county string, limit int) ([]Entry, error) {
	q := s.db.WithContext(ctx).Order("id DESC").Limit(limit)
	if county != "" {
		q = q.Where("county = ?", county)
	}
	var out []Entry
	if err := q.Find(&out).Error; err != nil {
		return nil, fmt.Errorf("ledger: history: %w", err)
	}
	return out, nil
}

// LastUpdateIn is userID's latest update in chatID, undone or not: what a
// typed "撤销" takes back on a channel without buttons. A second "撤销" finds
// the same batch, already undone, and changes nothing.
func (s *Store) LastUpdateIn(ctx context.Context, userID, chatID int64) (Batch, error) {
	var b Batch
	err := s.db.WithContext(ctx).
		Where("user_id = ? AND chat_id = ? AND kind IN ?", userID, chatID, undoable).
		Order("id DESC").Take(&b).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return b, ErrNotFound
	}
	if err != nil {
		return b, fmt.Errorf("ledger: last update in chat %d: %w", chatID, err)
	}
	return b, nil
}
