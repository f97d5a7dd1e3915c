package extractentra

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"syncgap/pipeline"
)

// ReadTenantFeatures reads the JSON of GET /directory/onPremisesSynchronization
// (the {"value":[…]} collection or the single object, camelCase from Graph
// or PascalCase from Get-MgDirectoryOnPremiseSynchronization | ConvertTo-Json)
// into one row per boolean feature, sorted by feature. Names are
// camelCased so they match pipeline.BypassFeature whatever tool wrote them.
// When the file does not mention bypassDirSyncOverridesEnabled, that row is
// still returned, unknown, saying so.
func ReadTenantFeatures(path string) ([]pipeline.TenantFlag, error) {
	flags, _, err := readTenantFeatures(path)
	return flags, err
}

// readTenantFeatures is ReadTenantFeatures that also returns the file's
// input record, hashed as it was read.
func readTenantFeatures(path string) (flags []pipeline.TenantFlag, in pipeline.InputRecord, err error) {
	perr := func(line, col int, err error) error {
		return &pipeline.ParseError{File: path, Line: line, Column: col, Err: err}
	}
	// The JSON of one Graph object is a few hundred bytes: anything but a
	// small regular file (a FIFO, /dev/zero) is refused before it is read.
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, in, perr(0, 0, fmt.Errorf("is %s, not a regular file: give the JSON file of GET /directory/onPremisesSynchronization", pipeline.FileKind(fi.Mode())))
	}
	t, err := openText(path, nil)
	if err != nil {
		return nil, in, fmt.Errorf("read tenant features: %w", err)
	}
	defer t.Close()
	data, err := io.ReadAll(io.LimitReader(t.r, maxFeaturesFile+1))
	if err != nil {
		return nil, in, fmt.Errorf("read tenant features: %w", err)
	}
	if len(data) > maxFeaturesFile {
		return nil, in, perr(0, 0, fmt.Errorf("more than %d KiB: not the JSON of one onPremisesSynchronization object", maxFeaturesFile>>10))
	}
	if flags, err = parseTenantFeatures(path, data); err != nil {
		return nil, in, err
	}
	if in, err = t.record(path); err != nil {
		return nil, in, err
	}
	return flags, in, nil
}

// parseTenantFeatures is ReadTenantFeatures on the text of the file.
func parseTenantFeatures(path string, data []byte) ([]pipeline.TenantFlag, error) {
	perr := func(line, col int, err error) error {
		return &pipeline.ParseError{File: path, Line: line, Column: col, Err: err}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, perr(0, 0, pipeline.ErrEmptyInput)
	}
	// encoding/json would turn a bad byte into U+FFFD and let the last of
	// two equal keys win: "bypassDirSyncOverridesEnabled" given twice must
	// not be read as whichever came last.
	if bad := invalidUTF8(data); bad >= 0 {
		line, col := lineCol(data, int64(bad))
		return nil, perr(line, col, errNotUTF8)
	}
	var doc any
	if err := json.Unmarshal(data, &doc); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			if se.Offset >= int64(len(data)) {
				line, col := lineCol(data, int64(len(data)))
				return nil, perr(line, col, eofError{}) // encoding/json words a cut file oddly
			}
			line, col := lineCol(data, se.Offset-1) // Offset counts the offending byte as read
			return nil, perr(line, col, se)
		}
		return nil, perr(0, 0, err)
	}
	if off, key, first := duplicateKey(data); off >= 0 {
		line, col := lineCol(data, off)
		also := ""
		if first != key {
			also = fmt.Sprintf(" (also as %q)", pipeline.ShortText([]byte(first)))
		}
		return nil, perr(line, col, fmt.Errorf("key %q appears twice in one object%s: which value is meant is undefined", pipeline.ShortText([]byte(key)), also))
	}
	objects := []any{doc}
	if arr, ok := doc.([]any); ok { // ConvertTo-Json of several results
		objects = arr
	} else if obj, ok := doc.(map[string]any); ok {
		if v, ok := member(obj, "value").([]any); ok {
			objects = v
		}
	}
	switch len(objects) {
	case 0:
		return nil, perr(0, 0, fmt.Errorf("%w (no onPremisesSynchronization object)", pipeline.ErrEmptyInput))
	case 1:
	default:
		// A tenant has one; several would need a rule for which one wins.
		return nil, perr(0, 0, fmt.Errorf("expected one onPremisesSynchronization object, found %d", len(objects)))
	}
	obj, _ := objects[0].(map[string]any)
	features, ok := member(obj, "features").(map[string]any)
	if !ok {
		return nil, perr(0, 0, errors.New(`no "features" object: is this the JSON of GET /directory/onPremisesSynchronization?`))
	}
	flags, err := FeatureFlags(features, filepath.Base(path), "file")
	if err != nil {
		line, col := 0, 0
		if i := bytes.Index(bytes.ToLower(data), []byte(strings.ToLower(pipeline.BypassFeature))); i >= 0 && errors.Is(err, ErrNotBoolean) {
			line, col = lineCol(data, int64(i))
		}
		return nil, perr(line, col, err)
	}
	return flags, nil
}

// maxFeaturesFile bounds the tenant features file.
const maxFeaturesFile = 1 << 20

// ErrNotBoolean is a bypass flag whose value is not a JSON boolean (or null).
var ErrNotBoolean = errors.New("not a JSON boolean")

// FeatureFlags turns the "features" object of an onPremisesSynchronization
// into one row per boolean feature, sorted by feature, each with source as
// its source. Names are camelCased so they match pipeline.BypassFeature
// whatever tool wrote them; values that are not booleans or null are not
// flags and are skipped. When bypassDirSyncOverridesEnabled is missing, its
// row is still returned, unknown, saying it was not in the where (file,
// response).
func FeatureFlags(features map[string]any, source, where string) ([]pipeline.TenantFlag, error) {
	var flags []pipeline.TenantFlag
	seen := map[string]bool{}
	for name, v := range features {
		if name == "" {
			continue
		}
		f := pipeline.TenantFlag{Feature: camel(name), Source: source}
		switch b := v.(type) {
		case bool:
			f.Enabled = pipeline.Known(b)
		case nil:
		default:
			if f.Feature == pipeline.BypassFeature {
				// "true" or 1 is not the flag Graph returns: reading it as
				// unknown would hide a file someone edited by hand.
				return nil, fmt.Errorf("%s is %v (%T), %w: true, false or null", name, v, v, ErrNotBoolean)
			}
			continue // not a feature flag (e.g. PowerShell's AdditionalProperties)
		}
		if seen[f.Feature] {
			return nil, fmt.Errorf("feature %s appears twice", f.Feature)
		}
		seen[f.Feature] = true
		flags = append(flags, f)
	}
	if !seen[pipeline.BypassFeature] {
		flags = append(flags, pipeline.TenantFlag{Feature: pipeline.BypassFeature, Source: source + ": feature not in the " + where})
	}
	slices.SortFunc(flags, func(a, b pipeline.TenantFlag) int { return strings.Compare(a.Feature, b.Feature) })
	return flags, nil
}

// UnknownTenant is the tenant table when the flag could not be read: one
// row, bypassDirSyncOverridesEnabled unknown, and why.
func UnknownTenant(reason string) []pipeline.TenantFlag {
	return []pipeline.TenantFlag{{Feature: pipeline.BypassFeature, Source: reason}}
}

// member looks a property up ignoring case, as Graph and PowerShell differ.
func member(obj map[string]any, name string) any {
	if v, ok := obj[name]; ok {
		return v
	}
	for k, v := range obj {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return nil
}

func camel(name string) string {
	r, n := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[n:]
}

// duplicateKey finds the first key that an object of data (valid JSON)
// has twice, ignoring case, as Graph and PowerShell spell keys
// differently and member looks them up ignoring case. It returns the
// offset of the second key's opening quote, the key, and the first
// spelling; off is -1 when every key is unique.
func duplicateKey(data []byte) (off int64, key, first string) {
	type frame struct {
		keys    map[string]string // lower-cased key → as first written; nil in an array
		wantKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []frame
	for {
		start := dec.InputOffset()
		tok, err := dec.Token()
		if err != nil {
			return -1, "", "" // io.EOF: the end (the syntax was checked before)
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if top != nil && top.keys != nil && top.wantKey {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) > 0 {
					stack[len(stack)-1].wantKey = stack[len(stack)-1].keys != nil
				}
				continue
			}
			k, _ := tok.(string)
			fold := strings.ToLower(k)
			if f, dup := top.keys[fold]; dup {
				// start is before the separator and blanks that precede the key.
				q := int64(bytes.IndexByte(data[start:], '"'))
				return start + q, k, f
			}
			top.keys[fold] = k
			top.wantKey = false
			continue
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{keys: map[string]string{}, wantKey: true})
			continue
		case json.Delim('['):
			stack = append(stack, frame{})
			continue
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: in an object, a key comes next.
		if len(stack) > 0 && stack[len(stack)-1].keys != nil {
			stack[len(stack)-1].wantKey = true
		}
	}
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (line, col int) {
	off = min(max(off, 0), int64(len(data)))
	before := data[:off]
	line = 1 + bytes.Count(before, []byte{'\n'})
	col = int(off) - (bytes.LastIndexByte(before, '\n') + 1) + 1
	return line, col
}
