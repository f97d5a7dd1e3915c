package phonenumbers

import (
	"math/rand"
	"testing"
)

// syncgap's patch (noExtnChars) skips the extension regexps for a text
// without any character an extension needs. These tests hold the patch to
// what the regexps say: for such a text EXTN_PATTERN never matches and the
// viability pattern answers as its form without the extension group.

func checkNoExtn(t *testing.T, s string) {
	t.Helper()
	if !noExtnChars(s) {
		return
	}
	if loc := EXTN_PATTERN.FindStringIndex(s); loc != nil {
		t.Errorf("%q: noExtnChars, yet EXTN_PATTERN matches at %v", s, loc)
	}
	if a, b := VALID_PHONE_NUMBER_PATTERN.MatchString(s), VALID_PHONE_NUMBER_NO_EXTN_PATTERN.MatchString(s); a != b {
		t.Errorf("%q: viable %v with the extension group, %v without", s, a, b)
	}
}

func TestNoExtnCharsMeansNoExtension(t *testing.T) {
	for _, s := range []string{
		"", "+1 415 555 0100", "(415) 555-0100", "+44 (0)20 7946 0958", "020 7946 0958", "+49 30 1234567-89",
		"0049.30.123.4567", "+33 1 23 45 67 89", "+61 (0)2 5550 5336", "03-1234-4434", "*123#", "+1-415-555-0100-",
		"1234567890123456789012345678901234567890", "+[1] 415/555*0100", "\t+1 415 555 0100\t", "   ", "+", "+++",
		"1-1", "12 - 345#", "12 - 345",
	} {
		checkNoExtn(t, s)
	}
	// Random texts over every ASCII character noExtnChars lets through.
	var alpha []byte
	for c := 0; c < 0x80; c++ {
		if noExtnChars(string(rune(c))) {
			alpha = append(alpha, byte(c))
		}
	}
	digits := []byte("0123456789")
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200000; i++ {
		b := make([]byte, rng.Intn(24))
		for j := range b {
			if rng.Intn(3) == 0 {
				b[j] = alpha[rng.Intn(len(alpha))]
			} else {
				b[j] = digits[rng.Intn(len(digits))]
			}
		}
		checkNoExtn(t, string(b))
	}
}

func TestExtnCharsTakeTheFullPath(t *testing.T) {
	for _, s := range []string{
		"+1 415 555 0100 ext. 12", "+1 415 555 0100 x12", "4155550100#", "+1 415 555 0100;ext=12", "4155550100,,12",
		"4155550100;12", "4155550100,12", "+7 495 123 45 67 доб 12", "+1 415 555 0100 EXT 12", "+1 415 555 0100 ~12",
		"\uff14\uff11\uff15", "415\u00a0555\u00a00100", "+1 415 555 0100 int 12",
	} {
		if noExtnChars(s) {
			t.Errorf("%q: noExtnChars, but it has a character an extension uses", s)
		}
	}
	for _, tt := range []struct{ text, ext string }{
		{"+1 415 555 0100 ext. 12", "12"}, {"+1 415 555 0100 x12", "12"}, {"+1 415 555 0100;ext=12", "12"},
		{"+1 415 555 0100", ""}, {"(415) 555-0100", ""},
	} {
		num, err := Parse(tt.text, "US")
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if got := num.GetExtension(); got != tt.ext {
			t.Errorf("%q: extension %q, want %q", tt.text, got, tt.ext)
		}
	}
}

func FuzzNoExtnChars(f *testing.F) {
	for _, s := range []string{"+1 415 555 0100", "(415) 555-0100 x12", "12 - 345#", "+44 (0)20 7946 0958"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkNoExtn(t, s) })
}
