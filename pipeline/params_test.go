package pipeline

import (
	"encoding"
	"reflect"
	"strings"
	"testing"
)

type upper struct{ s string }

func (u *upper) MarshalText() ([]byte, error) { return []byte(strings.ToUpper(u.s)), nil }
func (u *upper) UnmarshalText(b []byte) error { u.s = strings.ToLower(string(b)); return nil }

var _ encoding.TextMarshaler = (*upper)(nil)

type paramsFixture struct {
	Name     string   `param:"name"`
	Empty    string   `param:"empty,omitempty"`
	Flag     bool     `param:"flag"`
	Off      bool     `param:"off,omitempty"`
	N        int      `param:"n"`
	Rate     float64  `param:"rate"`
	List     []string `param:"item,numbered"`
	Text     *upper   `param:"text,omitempty"`
	NoText   *upper   `param:"no_text,omitempty"`
	Password string   `param:"-"`
}

func TestParamsRoundTrip(t *testing.T) {
	in := paramsFixture{Name: "a", Flag: true, N: -3, Rate: 2.5, List: []string{"x", "y"}, Text: &upper{"abc"}, Password: "secret"}
	p, err := EncodeParams(in)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name": "a", "flag": "true", "n": "-3", "rate": "2.5", "item.1": "x", "item.2": "y", "text": "ABC"}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("EncodeParams = %v, want %v", p, want)
	}
	var out paramsFixture
	if err := DecodeParams(p, &out); err != nil {
		t.Fatal(err)
	}
	in.Password = ""
	if !reflect.DeepEqual(out, in) {
		t.Errorf("round trip = %+v, want %+v", out, in)
	}
}

func TestParamsRefusals(t *testing.T) {
	type untagged struct {
		Name string
	}
	if _, err := EncodeParams(untagged{"x"}); err == nil || !strings.Contains(err.Error(), "no param tag") {
		t.Errorf("untagged field: %v", err)
	}
	var f paramsFixture
	if err := DecodeParams(map[string]string{"name": "a", "other": "b"}, &f); err == nil || !strings.Contains(err.Error(), "unknown parameter other") {
		t.Errorf("unknown parameter: %v", err)
	}
	if err := DecodeParams(map[string]string{"flag": "maybe"}, &f); err == nil || !strings.Contains(err.Error(), "flag") {
		t.Errorf("bad bool: %v", err)
	}
}
