package bot

import (
	"context"
	"errors"
	"strings"
	"testing"

	"tsbot/data"
)

// /adduser refuses a name the roster would show differently from what it holds.
func TestAddUserName(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		id      int64
		want    string // a part of the reply
		written bool   // whether the person is then on the roster
	}{
		{name: "plain name", text: "/adduser 555 新昌 赵六", id: 555, want: "已添加", written: true},
		{name: "right-to-left override", text: "/adduser 556 新昌 赵\u202e六", id: 556, want: "改变文字方向的隐藏字符"},
		{name: "right-to-left mark at the end", text: "/adduser 557 viewer 王局\u200f", id: 557, want: "改变文字方向的隐藏字符"},
		{name: "left-to-right isolate", text: "/adduser 558 新昌 \u2066赵六\u2069", id: 558, want: "改变文字方向的隐藏字符"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			r := f.say(admin, tc.text)
			if !strings.Contains(r.Text, tc.want) {
				t.Errorf("reply %q, want one containing %q", r.Text, tc.want)
			}
			_, err := f.store.Person(context.Background(), tc.id)
			if written := err == nil; written != tc.written || err != nil && !errors.Is(err, data.ErrNotFound) {
				t.Errorf("on the roster: %v (%v), want %v", written, err, tc.written)
			}
		})
	}
}
