package livegraph

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{" 2.5 ", 2500 * time.Millisecond, true},
		{"0", 0, true},
		{".5", 500 * time.Millisecond, true},
		{now.Add(3 * time.Second).Format(http.TimeFormat), 3 * time.Second, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"Sat, 01 Mar 2025 12:00:07 GMT", 7 * time.Second, true},
		{"", 0, false},
		{"soon", 0, false},
		{"1e3", 0, false},
		{"-1", 0, false},
		{"Inf", 0, false},
		{"1.2.3", 0, false},
	} {
		got, ok := parseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("%q: %s %t, want %s %t", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestBackoffIsBoundedAndDeterministic(t *testing.T) {
	rt := newRetryTransport(nil, RetryPolicy{})
	var got []string
	for a := range 8 {
		got = append(got, rt.backoff(a).String())
	}
	if s := strings.Join(got, " "); s != "1s 2s 4s 8s 16s 30s 30s 30s" {
		t.Errorf("backoff %s", s)
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	cfg := Config{Endpoint: DefaultEndpoint, Secrets: Secrets{ClientSecret: "cs-SECRET", CertPassword: "pw-SECRET", AccessToken: "at-SECRET"}}
	var b strings.Builder
	fmt.Fprintf(&b, "%v %+v %#v %s %q", cfg, cfg, cfg, cfg.Secrets, cfg.Secrets)
	slog.New(slog.NewTextHandler(&b, nil)).Info("cfg", "cfg", cfg, "secrets", cfg.Secrets)
	slog.New(slog.NewJSONHandler(&b, nil)).Info("cfg", "cfg", cfg, "secrets", cfg.Secrets)
	if strings.Contains(b.String(), "SECRET") {
		t.Errorf("a secret printed: %s", b.String())
	}
	if fmt.Sprint(staticToken("at-SECRET")) != "[redacted]" {
		t.Error("static token prints")
	}
}
