package main

import "testing"

func TestArgText(t *testing.T) {
	for in, want := range map[string]string{
		"snap/":                      "snap/",
		`D:\Audit\snap-1`:            `D:\Audit\snap-1`,
		`Z:\tmp\Audit Team\snap win`: `"Z:\tmp\Audit Team\snap win"`,
		"/home/a/change (4711)/snap": `"/home/a/change (4711)/snap"`,
		"snap&calc":                  `"snap&calc"`,
		"":                           `""`,
	} {
		if got := argText(in); got != want {
			t.Errorf("argText(%q) = %s, want %s", in, got, want)
		}
	}
}
