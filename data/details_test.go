package data

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// The check character by hand, from GB 32100-2015's weights (1, 3, 9, 27,
// 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28) and its alphabet
// 0-9 A-H J-N P Q R T U W X Y (A=10 … H=17, J=18 … N=22, P=23, Q=24, R=25,
// T=26, U=27, W=28, X=29, Y=30):
//
//	91310110666007217T: 9·1+1·3+3·9+1·27+0·19+1·26+1·16+0·17+6·20+6·29+6·25+0·13+0·8+7·24+2·10+1·30+7·28
//	  = 9+3+27+27+0+26+16+0+120+174+150+0+0+168+20+30+196 = 966; 966 mod 31 = 5; 31-5 = 26 = T
//	913502000728319549: 9+3+27+135+0+52+0+0+0+203+50+104+24+24+90+150+112 = 983; 983 mod 31 = 22; 31-22 = 9
//	91310115591693856A: 9+3+27+27+0+26+16+85+100+261+25+78+72+72+80+150+168 = 1199; 1199 mod 31 = 21; 31-21 = 10 = A
//
// The three are published codes (hutool's CreditCodeUtilTest and a list of
// Xiamen enterprises' codes); 91350211M00013FA1N is one issued before the
// standard, which the same test expects to fail.
func TestCreditCheckChar(t *testing.T) {
	for _, code := range []string{"91310110666007217T", "913502000728319549", "91310115591693856A"} {
		got, ok := CreditCheckChar(code[:17])
		if !ok || got != code[17] {
			t.Errorf("%s: check character %c (%v), want %c", code, got, ok, code[17])
		}
	}
	if _, ok := CreditCheckChar("9131011066600721I"); ok {
		t.Error("I is not in the alphabet")
	}
}

func TestCheckCreditCode(t *testing.T) {
	tests := []struct {
		name, in, want, reason string
	}{
		{name: "published, T", in: "91310110666007217T", want: "91310110666007217T"},
		{name: "published, digit", in: "913502000728319549", want: "913502000728319549"},
		{name: "published, Xiamen", in: "91350200776049653A", want: "91350200776049653A"},
		{name: "lower case and spaces", in: "9131 0110 6660 0721 7t", want: "91310110666007217T"},
		{name: "full width", in: "９１３１０１１０６６６００７２１７Ｔ", want: "91310110666007217T"},
		{name: "one character off", in: "91310110666007218T", reason: "校验位不对（末位应为"},
		{name: "two swapped", in: "91310110660607217T", reason: "校验位不对"},
		{name: "issued before the standard", in: "91350211M00013FA1N", reason: "校验位不对"},
		{name: "placeholder", in: "91330683XXXXXXXXXX", reason: "校验位不对"},
		{name: "17 characters", in: "91310110666007217", reason: "应为18位，这里是17位"},
		{name: "the letter O", in: "9131011066600721OT", reason: "第17位是O"},
		{name: "division not digits", in: "91A10110666007217T", reason: "行政区划码"},
		{name: "a Chinese character", in: "91310110666007217号", reason: "第18位“号”"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, reason := CheckCreditCode(tc.in)
			if tc.reason != "" {
				if !strings.Contains(reason, tc.reason) {
					t.Errorf("reason %q, want one containing %q", reason, tc.reason)
				}
				return
			}
			if reason != "" || got != tc.want {
				t.Errorf("= %q, %q; want %q", got, reason, tc.want)
			}
		})
	}
}

func TestCleanPhoneAndDate(t *testing.T) {
	phones := []struct{ in, want string }{
		{"13800000000", "13800000000"},
		{"138 0000 0000", "13800000000"},
		{"+8613800000000", "13800000000"},
		{"138-0000-0000", "13800000000"},
		{"+86-138-0000-0000", "13800000000"},
		{"0575-8513-4612", "0575-85134612"},
		{"０５７５－８５１３４６１２", "0575-85134612"},
		{"0575-85134612", "0575-85134612"},
		{"057585134612", "0575-85134612"},
		{"(0575)85134612", "0575-85134612"},
		{"85134612", "85134612"},
		{"12800000000", ""}, // no mobile starts 12
		{"1380000000", ""},  // 10 digits
		{"0575-123", ""},
		{"电话", ""},
	}
	for _, tc := range phones {
		got, ok := CleanPhone(tc.in)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("CleanPhone(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	dates := []struct{ in, want string }{
		{"2027-09-12", "2027-09-12"},
		{"2027/9/12", "2027-09-12"},
		{"2027年9月12日", "2027-09-12"},
		{"9月12日", "2027-09-12"},
		{"9月12号", "2027-09-12"},
		{"９月１２日", "2027-09-12"},
		{"2026年12月1日", "2026-12-01"},
		{"9月31日", ""},
		{"2027-02-29", ""},
		{"13月1日", ""},
		{"上周", ""},
	}
	for _, tc := range dates {
		got, ok := ParseDetailDate(tc.in, 2027)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("ParseDetailDate(%q) = %q, %v; want %q", tc.in, got, ok, tc.want)
		}
	}
	if _, err := CleanDetail(DetailAddress, strings.Repeat("路", 101), 2027); err == nil {
		t.Error("an address of 101 characters passed")
	}
	var de *DetailError
	if _, err := CleanDetail(DetailContact, "张\u202e三", 2027); !errors.As(err, &de) || de.Field != DetailContact {
		t.Errorf("a bidi control in a contact: %v", err)
	}
}

// Attributes are appended, never updated; the latest of each wins, on both
// lists of a county; a name off the lists, a closed county, and a bad value
// are refused.
func TestDetails(t *testing.T) {
	forEachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		s.ListsClose = time.Date(2027, 10, 1, 0, 0, 0, 0, time.UTC)
		zhang := Author{UserID: 7, Name: "张三"}
		admin := Author{UserID: 1, Name: "凌晓波", Admin: true}
		if _, err := s.Record(ctx, zhang, []Change{
			named("柯桥", CityStation, 1, "柯桥印染示范点"),
			named("柯桥", Tutoring, 2, "甲纺织（集团）有限公司", "柯桥印染示范点"),
		}); err != nil {
			t.Fatal(err)
		}
		first, err := s.AddDetails(ctx, zhang, "柯桥", "甲纺织(集团)有限公司", []DetailValue{
			{DetailCreditCode, "91310110666007217t"}, {DetailContact, "王五"}, {DetailPhone, "0575-85134612"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if first.Batch.Kind != KindDetail || first.Batch.Late {
			t.Errorf("batch %+v", first.Batch)
		}
		s.Now = func() time.Time { return testNow.Add(time.Hour) }
		if _, err := s.AddDetails(ctx, zhang, "柯桥", "甲纺织（集团）有限公司", []DetailValue{{DetailPhone, "13800000000"}, {DetailDate, "2027-09-12"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddDetails(ctx, zhang, "柯桥", "柯桥印染示范点", []DetailValue{{DetailAddress, "柯桥区华舍街道1号"}}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddDetails(ctx, zhang, "柯桥", "乙公司", []DetailValue{{DetailContact, "赵六"}}); !errors.Is(err, ErrNameNotListed) {
			t.Errorf("a name on no list: %v", err)
		}
		if _, err := s.AddDetails(ctx, zhang, "越城", "甲纺织（集团）有限公司", []DetailValue{{DetailContact, "赵六"}}); !errors.Is(err, ErrNameNotListed) {
			t.Errorf("another county's list: %v", err)
		}
		var de *DetailError
		if _, err := s.AddDetails(ctx, zhang, "柯桥", "柯桥印染示范点", []DetailValue{{DetailCreditCode, "91310110666007218T"}}); !errors.As(err, &de) {
			t.Errorf("a wrong code: %v", err)
		}

		got, err := s.Details(ctx, "柯桥")
		if err != nil {
			t.Fatal(err)
		}
		jia := got[Unit{"柯桥", NormalizeName("甲纺织(集团)有限公司")}]
		if jia.Get(DetailCreditCode) != "91310110666007217T" || jia.Get(DetailContact) != "王五" ||
			jia.Get(DetailPhone) != "13800000000" || jia.Get(DetailDate) != "2027-09-12" || !jia.UpdatedAt.Equal(testNow.Add(time.Hour)) {
			t.Errorf("甲 = %+v: want the code, 王五, and the later phone and date", jia)
		}
		if st := got[Unit{"柯桥", NormalizeName("柯桥印染示范点")}]; st.Get(DetailAddress) != "柯桥区华舍街道1号" {
			t.Errorf("station = %+v", st)
		}
		var rows int64
		if err := s.db.Model(&DetailRecord{}).Count(&rows).Error; err != nil || rows != 6 {
			t.Errorf("%d attribute records (%v), want 6: every value a row of its own", rows, err)
		}

		// Confirmed: staff are refused, the admin's records are late.
		if _, err := s.Confirm(ctx, zhang, "柯桥", 0); err != nil {
			t.Fatal(err)
		}
		var ce *ClosedError
		if _, err := s.AddDetails(ctx, zhang, "柯桥", "柯桥印染示范点", []DetailValue{{DetailContact, "赵六"}}); !errors.As(err, &ce) || ce.Confirmed == nil {
			t.Errorf("staff after the confirmation: %v", err)
		}
		out, err := s.AddDetails(ctx, admin, "柯桥", "柯桥印染示范点", []DetailValue{{DetailContact, "赵六"}})
		if err != nil || !out.Batch.Late {
			t.Fatalf("the admin after the confirmation: %+v, %v", out.Batch, err)
		}
		got, _ = s.Details(ctx, "")
		if st := got[Unit{"柯桥", NormalizeName("柯桥印染示范点")}]; st.Get(DetailContact) != "赵六" || !st.Late || st.UserName != "凌晓波" {
			t.Errorf("station after the admin = %+v", st)
		}

		// The deadline closes a county that never confirmed.
		if _, err := s.Record(ctx, zhang, []Change{named("越城", Tutoring, 1, "丙公司")}); err != nil {
			t.Fatal(err)
		}
		s.Now = func() time.Time { return s.ListsClose }
		if _, err := s.AddDetails(ctx, zhang, "越城", "丙公司", []DetailValue{{DetailContact, "赵六"}}); !errors.As(err, &ce) || ce.Confirmed != nil {
			t.Errorf("staff after the deadline: %v", err)
		}
	})
}
