package pipeline

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// A packed AD user unpacks to itself, nil and empty lists and unknown
// flags included, and a damaged one is an error, not a wrong user.
func TestPackADRoundTrip(t *testing.T) {
	long := strings.Repeat("ü", 70000) // lengths past two varint bytes
	for _, u := range []ADUser{
		{},
		{DN: "CN=a", OtherMobile: []string{}},
		{DN: "CN=b", ObjectGUID: "g", ConsistencyGUID: "c", SourceAnchor: "s", SamAccountName: "sam", UPN: long,
			Mobile: "+1", OtherMobile: []string{"", long, "x"}, Country: "GB", Enabled: Known(false),
			WhenChanged: time.Date(2024, 5, 1, 2, 3, 4, 999999999, time.UTC), Origin: "ad.ldif:7"},
		{DN: "CN=c", Enabled: Known(true), WhenChanged: time.Date(-100, 5, 1, 0, 0, 0, 1, time.UTC)},
	} {
		s := string(AppendPackedAD(nil, &u))
		got, err := UnpackAD(u.DN, s)
		if err != nil || !reflect.DeepEqual(got, u) {
			t.Errorf("unpacked %+v (%v), want %+v", got, err, u)
		}
		for _, cut := range []int{0, 1, len(s) / 2, len(s) - 1} {
			if _, err := UnpackAD(u.DN, s[:cut]); !errors.Is(err, ErrPacked) {
				t.Errorf("cut at %d of %d: %v", cut, len(s), err)
			}
		}
		if _, err := UnpackAD(u.DN, s+"x"); !errors.Is(err, ErrPacked) {
			t.Errorf("a byte too many: %v", err)
		}
	}
}
