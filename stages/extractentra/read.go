package extractentra

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"syncgap/pipeline"
)

// ReadExport reads an Entra export: a file in any supported format, or a
// directory of Graph page files. The format is detected from the content,
// not the file name, because people rename exports freely.
func ReadExport(path string) (*Export, error) {
	return readExport(path, nil)
}

// readExport is ReadExport handing the users to col (see collector), which
// may spool them; a nil col keeps them in memory.
func readExport(path string, col *collector) (*Export, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("read entra export: %w", err)
	}
	if fi.IsDir() {
		if pipeline.IsSnapshot(path) {
			return nil, &pipeline.ParseError{File: path, Err: fmt.Errorf("is a syncgap snapshot directory (it holds %s), "+
				"not an Entra export: give the export files or page directory it was made from", pipeline.ManifestFile)}
		}
		return readPageDir(path, col)
	}
	t, err := openText(path, nil)
	if err != nil {
		return nil, openErr(err)
	}
	defer t.Close()
	e := &Export{Path: path, Files: []string{path}}
	hint := fi.Size()
	if t.utf16 {
		hint /= 2
	}
	switch c := t.firstByte(); c {
	case 0:
		return nil, &pipeline.ParseError{File: path, Err: pipeline.ErrEmptyInput}
	case '{', '[':
		if bytes.Contains(t.head, []byte(`"`+pipeline.ManifestFormat+`"`)) {
			return nil, &pipeline.ParseError{File: path, Line: 1, Err: errors.New("is the manifest of a syncgap snapshot, " +
				"not an Entra export: give the export files or page directory it was made from")}
		}
		p := jsonParser{sizeHint: hint, sink: col, total: hint}
		if err := p.parse(path, t.r); err != nil {
			return nil, err
		}
		if col != nil && col.err != nil {
			return nil, col.err
		}
		e.Users, e.Format = p.out, p.stats.format()
		if col.spooling() {
			e.Users = nil
		}
		lacks := lacking(p.stats.immutable, p.stats.syncFlag)
		e.WeakEvidence, e.Lacks = lacks != 0, lacks.String()
	default:
		if why := notAnExport(t.head); why != "" {
			return nil, &pipeline.ParseError{File: path, Line: 1, Err: errors.New(why)}
		}
		var lacks evidence
		if e.Users, e.Format, lacks, err = readCSV(path, t, hint, col); err != nil {
			return nil, err
		}
		e.WeakEvidence, e.Lacks = lacks != 0, lacks.String()
	}
	if e.count(col) == 0 {
		return nil, &pipeline.ParseError{File: path, Err: fmt.Errorf("%w (no user objects)", pipeline.ErrEmptyInput)}
	}
	if err := e.checkRead(col, func(int) string { return path }); err != nil {
		return nil, err
	}
	in, err := t.record(path)
	if err != nil {
		return nil, err
	}
	e.inputs = []pipeline.InputRecord{in}
	return e, nil
}

// fileResult is one page file parsed by a worker.
type fileResult struct {
	users []pipeline.EntraUser
	stats jsonStats
	input pipeline.InputRecord
	err   error
}

// readPageDir reads every *.json and *.jsonl file of dir in natural order
// (page-2 before page-10). Two workers parse files in parallel, which is
// where the time goes for a million users; the collector takes results in
// file order, so output and errors are the same on every run.
func readPageDir(dir string, col *collector) (*Export, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read entra export: %w", err)
	}
	var files []string
	var sizes []int64
	var total int64
	for _, de := range entries {
		name := de.Name()
		ext := strings.ToLower(filepath.Ext(name))
		if de.IsDir() || strings.HasPrefix(name, ".") || (ext != ".json" && ext != ".jsonl") {
			continue
		}
		fi, err := de.Info()
		if err != nil {
			return nil, fmt.Errorf("read entra export: %w", err)
		}
		files = append(files, name)
		sizes = append(sizes, fi.Size())
		total += fi.Size()
	}
	if len(files) == 0 {
		return nil, &pipeline.ParseError{File: dir, Err: fmt.Errorf("%w (no *.json or *.jsonl files)", pipeline.ErrEmptyInput)}
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return naturalCompare(files[a], files[b]) })
	paths := make([]string, len(files))
	for i, k := range order {
		paths[i] = filepath.Join(dir, files[k])
	}

	workers := min(2, runtime.GOMAXPROCS(0), len(paths))
	results := make([]chan fileResult, len(paths))
	for i := range results {
		results[i] = make(chan fileResult, 1) // workers never block on a slow collector…
	}
	ahead := make(chan struct{}, 2*workers) // …but may only run this many files ahead of it
	spare := make(chan []pipeline.EntraUser, 2*workers+1)
	jobs := make(chan int)
	done := make(chan struct{})
	var wg sync.WaitGroup
	defer func() { close(done); wg.Wait() }()
	go func() {
		defer close(jobs)
		for i := range paths {
			select {
			case ahead <- struct{}{}:
			case <-done:
				return
			}
			select {
			case jobs <- i:
			case <-done:
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var p jsonParser
			raw := bufio.NewReaderSize(nil, 64<<10)
			for i := range jobs {
				select {
				case p.out = <-spare:
				default:
					p.out = nil
				}
				results[i] <- p.parseFile(paths[i], raw)
			}
		}()
	}

	e := &Export{Path: dir, Format: GraphPageDir, Files: paths}
	var st jsonStats
	var read int64
	ends := make([]int, len(paths)) // users of paths[i] end at ends[i]
	for i := range paths {
		res := <-results[i]
		<-ahead
		if res.err != nil {
			return nil, res.err
		}
		st.immutable = st.immutable || res.stats.immutable
		st.syncFlag = st.syncFlag || res.stats.syncFlag
		e.inputs = append(e.inputs, res.input)
		read += sizes[order[i]]
		// Asked before growFor, which would size e.Users for the whole
		// directory.
		spool, err := col.grew(usersBytes(res.users), read, total)
		if err != nil {
			return nil, err
		}
		if spool {
			if err := col.take(e.Users, nil); err != nil {
				return nil, err
			}
			e.Users = nil
			if err := col.take(res.users, nil); err != nil {
				return nil, err
			}
		} else {
			e.Users = growFor(e.Users, len(res.users), read, total)
			e.Users = append(e.Users, res.users...)
		}
		ends[i] = e.count(col)
		select {
		case spare <- res.users[:0]:
		default:
		}
	}
	if e.count(col) == 0 {
		return nil, &pipeline.ParseError{File: dir, Err: fmt.Errorf("%w (no user objects)", pipeline.ErrEmptyInput)}
	}
	fileOf := func(i int) string {
		k, _ := slices.BinarySearch(ends, i+1)
		return paths[k]
	}
	if col.spooling() {
		col.sp.files, col.sp.ends = paths, make([]int64, len(ends))
		for i, end := range ends {
			col.sp.ends[i] = int64(end)
		}
	}
	if err := e.checkRead(col, fileOf); err != nil {
		return nil, err
	}
	lacks := lacking(st.immutable, st.syncFlag)
	e.WeakEvidence, e.Lacks = lacks != 0, lacks.String()
	return e, nil
}

// parseFile parses one page file into a fresh p.out, which the caller owns.
func (p *jsonParser) parseFile(path string, raw *bufio.Reader) fileResult {
	t, err := openText(path, raw)
	if err != nil {
		return fileResult{err: openErr(err)}
	}
	defer t.Close()
	switch t.firstByte() {
	case 0:
		// A blank page file is a failed download, not an empty page.
		return fileResult{err: &pipeline.ParseError{File: path, Err: pipeline.ErrEmptyInput}}
	case '{', '[':
	default:
		return fileResult{err: &pipeline.ParseError{File: path, Line: 1, Err: unknownFormat("a file in a page directory that is not JSON")}}
	}
	p.out, p.stats, p.sizeHint = p.out[:0], jsonStats{}, 0
	err = p.parse(path, t.r)
	res := fileResult{users: p.out, stats: p.stats, err: err}
	p.out = nil
	if err == nil {
		res.input, res.err = t.record(path)
	}
	return res
}

// growFor makes room for add more users, sizing the slice for the whole
// input from the share read so far: one million users are 230 MB of
// EntraUser structs, and doubling by append would briefly need twice that.
func growFor(users []pipeline.EntraUser, add int, read, total int64) []pipeline.EntraUser {
	if cap(users)-len(users) >= add {
		return users
	}
	want := len(users) + add
	if read > 0 && total > read {
		// 5% over: page sizes vary, and coming up short near the end would
		// mean copying everything once more.
		want = int(float64(want)*float64(total)/float64(read)*1.05) + 1024
	}
	return slices.Grow(users, want-len(users))
}

// naturalCompare orders names with their digit runs compared as numbers,
// so page-2.json sorts before page-10.json.
func naturalCompare(a, b string) int {
	if c := naturalCompareRuns(a, b); c != 0 {
		return c
	}
	return strings.Compare(a, b) // page-002 and page-2: any fixed order will do
}

func naturalCompareRuns(a, b string) int {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			na, ra := digitRun(a)
			nb, rb := digitRun(b)
			ta, tb := strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if c := len(ta) - len(tb); c != 0 {
				return c
			}
			if c := strings.Compare(ta, tb); c != 0 {
				return c
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return int(a[0]) - int(b[0])
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func digitRun(s string) (run, rest string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// openErr is an error opening an export: a refusal that names the file
// (not a regular file, too big) as it is, anything else with context.
func openErr(err error) error {
	var pe *pipeline.ParseError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("read entra export: %w", err)
}

// evidence is what an export lacks for the join to use more than UPNs.
type evidence uint8

const (
	noImmutableID evidence = 1 << iota
	noSyncFlag
)

func lacking(immutable, syncFlag bool) evidence {
	var e evidence
	if !immutable {
		e |= noImmutableID
	}
	if !syncFlag {
		e |= noSyncFlag
	}
	return e
}

func (e evidence) String() string {
	switch e {
	case noImmutableID:
		return "no immutable id"
	case noSyncFlag:
		return "no sync flag"
	case noImmutableID | noSyncFlag:
		return "no sync flag or immutable id"
	}
	return ""
}

// errDuplicate is wrapped by the duplicate-user errors.
var errDuplicate = errors.New("duplicate user")
