package extractentra

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"syncgap/pipeline"
)

// TestUsersPageReadsLikeThePageFiles: the live decoder and the export
// reader agree on every user of the same pages but the origin, which is
// the decoder's one; the next links come back; the decoder's buffers are
// reused from page to page without touching earlier pages' users, and no
// user refers to a body.
func TestUsersPageReadsLikeThePageFiles(t *testing.T) {
	const origin = "https://graph.example/v1.0/users"
	for _, tt := range []struct {
		export string
		pages  []string // in paging order
		links  int
	}{
		{"pages", []string{"pages/page-1.json", "pages/page-2.json", "pages/page-10.json"}, 2},
		{"graph-page.json", []string{"graph-page.json"}, 1},
	} {
		t.Run(tt.export, func(t *testing.T) {
			want, err := ReadExport(filepath.Join("testdata", tt.export))
			if err != nil {
				t.Fatal(err)
			}
			d := NewUsersPage(origin)
			var got []pipeline.EntraUser
			var bodies [][]byte
			links := 0
			for _, name := range tt.pages {
				body, err := os.ReadFile(filepath.Join("testdata", name))
				if err != nil {
					t.Fatal(err)
				}
				var next string
				if got, next, err = d.Decode(name, body, got); err != nil {
					t.Fatal(err)
				}
				if next != "" {
					links++
				}
				bodies = append(bodies, body)
			}
			for _, b := range bodies {
				for i := range b {
					b[i] = 'x'
				}
			}
			if len(got) != len(want.Users) || len(got) < 2 || links != tt.links {
				t.Fatalf("%d users and %d next links; the page reader read %d users", len(got), links, len(want.Users))
			}
			for i := range got {
				w := want.Users[i]
				w.Origin = origin
				if !reflect.DeepEqual(got[i], w) {
					t.Errorf("user %d:\n got %#v\nwant %#v", i, got[i], w)
				}
			}
		})
	}
}
