package extractentra

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"syncgap/pipeline"
)

func TestReadTenantFeatures(t *testing.T) {
	tests := []struct {
		name string
		path string
		want []pipeline.TenantFlag
	}{{
		name: "Graph collection",
		path: "tenant.json",
		want: []pipeline.TenantFlag{
			{Feature: "blockCloudObjectTakeoverThroughHardMatchEnabled", Enabled: no, Source: "tenant.json"},
			{Feature: pipeline.BypassFeature, Enabled: no, Source: "tenant.json"},
			{Feature: "passwordSyncEnabled", Enabled: yes, Source: "tenant.json"},
			{Feature: "userWritebackEnabled", Enabled: unknown, Source: "tenant.json"},
		},
	}, {
		name: "PowerShell single object, PascalCase, BOM",
		path: "tenant-ps.json",
		want: []pipeline.TenantFlag{
			{Feature: pipeline.BypassFeature, Enabled: yes, Source: "tenant-ps.json"},
			{Feature: "passwordSyncEnabled", Enabled: yes, Source: "tenant-ps.json"},
		},
	}, {
		name: "bypass flag absent from the file",
		path: "tenant-nobypass.json",
		want: []pipeline.TenantFlag{
			{Feature: pipeline.BypassFeature, Enabled: unknown, Source: "tenant-nobypass.json: feature not in the file"},
			{Feature: "passwordSyncEnabled", Enabled: yes, Source: "tenant-nobypass.json"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadTenantFeatures(filepath.Join("testdata", tt.path))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestReadTenantFeaturesBadInput(t *testing.T) {
	tests := []struct {
		path string
		is   error
		want string
	}{
		{"bad/tenant-nofeatures.json", nil,
			`testdata/bad/tenant-nofeatures.json: no "features" object: is this the JSON of GET /directory/onPremisesSynchronization?`},
		{"bad/tenant-cut.json", io.ErrUnexpectedEOF, "testdata/bad/tenant-cut.json:2:47: unexpected end of JSON input"},
		{"bad/syntax.json", nil, "testdata/bad/syntax.json:3:2: invalid character '{' after array element"},
		{"bad/empty.json", pipeline.ErrEmptyInput, "testdata/bad/empty.json: no records found"},
	}
	for _, tt := range tests {
		_, err := ReadTenantFeatures(filepath.Join("testdata", tt.path))
		var pe *pipeline.ParseError
		if !errors.As(err, &pe) || err.Error() != tt.want {
			t.Errorf("%s:\n got %v\nwant %s", tt.path, err, tt.want)
		}
		if tt.is != nil && !errors.Is(err, tt.is) {
			t.Errorf("%s: errors.Is(%v) = false", tt.path, tt.is)
		}
	}
}

func TestUnknownTenant(t *testing.T) {
	got := UnknownTenant("not provided")
	want := []pipeline.TenantFlag{{Feature: pipeline.BypassFeature, Source: "not provided"}}
	if !reflect.DeepEqual(got, want) || got[0].Enabled.Valid {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestTenantFeaturesRefusals(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		path, want string
	}{
		{write("string.json", "{\n  \"id\": \"x\",\n  \"features\": {\n    \"bypassDirSyncOverridesEnabled\": \"true\"\n  }\n}\n"), "string.json:4:6: bypassDirSyncOverridesEnabled is true (string), not a JSON boolean"},
		{write("number.json", `{"features":{"BypassDirSyncOverridesEnabled":1}}`), "not a JSON boolean"},
		{write("big.json", `{"features":{}, "pad":"`+strings.Repeat("x", 1<<20)+`"}`), "more than 1024 KiB"},
		{"/dev/zero", "not a regular file"},
	} {
		_, err := ReadTenantFeatures(tc.path)
		var pe *pipeline.ParseError
		if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.path, err, tc.want)
		}
	}
}
