package pipeline

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// A stage's Config is a struct; its fields become the manifest's parameters
// (and a stage's Summary its detail) by their `param` tags, the way the
// table codec maps row structs to columns by their `parquet` tags:
//
//	Policy    Policy      `param:"policy"`               always recorded
//	OnlyOU    string      `param:"only_ou,omitempty"`     left out when empty
//	Exports   []string    `param:"export,numbered"`       export.1, export.2, …
//	Exclude   *Exclusions `param:"exclude,omitempty"`     encoding.TextMarshaler
//	Password  string      `param:"-"`                     never recorded
//
// Field kinds: string (and string types), bool, int kinds, float64,
// []string (numbered only) and types with MarshalText/UnmarshalText. A field
// without a tag is a programming error, so a new option can't silently go
// unrecorded and make a replay differ. docs/architecture.md explains why
// every parameter must reach the manifest.

// EncodeParams encodes a Config (or Summary) struct into manifest text.
func EncodeParams(v any) (map[string]string, error) {
	out := map[string]string{}
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return out, nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, fmt.Errorf("params: %T is not a struct", v)
	}
	err := walkParams(rv.Type(), func(f reflect.StructField, t paramTag, idx []int) error {
		fv := rv.FieldByIndex(idx)
		if t.numbered {
			list, ok := fv.Interface().([]string)
			if !ok {
				return fmt.Errorf("params: %s: numbered needs []string", f.Name)
			}
			for i, s := range list {
				out[t.name+"."+strconv.Itoa(i+1)] = s
			}
			return nil
		}
		if t.omitempty && fv.IsZero() {
			return nil
		}
		s, err := formatParam(fv)
		if err != nil {
			return fmt.Errorf("params: %s: %w", f.Name, err)
		}
		if t.omitempty && s == "" {
			return nil
		}
		out[t.name] = s
		return nil
	})
	return out, err
}

// DecodeParams fills the Config struct *dst from manifest text. Parameters
// the struct does not name are an error: a manifest from another version
// must not be replayed as if it were ours.
func DecodeParams(p map[string]string, dst any) error {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("params: %T is not a pointer to a struct", dst)
	}
	rv = rv.Elem()
	used := map[string]bool{}
	err := walkParams(rv.Type(), func(f reflect.StructField, t paramTag, idx []int) error {
		fv := rv.FieldByIndex(idx)
		if t.numbered {
			var list []string
			for i := 1; ; i++ {
				k := t.name + "." + strconv.Itoa(i)
				s, ok := p[k]
				if !ok {
					break
				}
				used[k] = true
				list = append(list, s)
			}
			fv.Set(reflect.ValueOf(list))
			return nil
		}
		s, ok := p[t.name]
		if !ok {
			return nil
		}
		used[t.name] = true
		if err := parseParam(fv, s); err != nil {
			return fmt.Errorf("parameter %s=%q: %w", t.name, s, err)
		}
		return nil
	})
	if err != nil {
		return err
	}
	var unknown []string
	for k := range p {
		if !used[k] {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Errorf("unknown parameter %s (written by another version of syncgap?)", strings.Join(unknown, ", "))
	}
	return nil
}

type paramTag struct {
	name                string
	omitempty, numbered bool
}

func walkParams(t reflect.Type, visit func(reflect.StructField, paramTag, []int) error) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag, ok := f.Tag.Lookup("param")
		if !ok {
			return fmt.Errorf("params: %s.%s has no param tag (use `param:\"-\"` for fields never recorded)", t.Name(), f.Name)
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		pt := paramTag{name: name}
		for _, o := range strings.Split(opts, ",") {
			switch o {
			case "":
			case "omitempty":
				pt.omitempty = true
			case "numbered":
				pt.numbered = true
			default:
				return fmt.Errorf("params: %s.%s: unknown tag option %q", t.Name(), f.Name, o)
			}
		}
		if err := visit(f, pt, f.Index); err != nil {
			return err
		}
	}
	return nil
}

var textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

func formatParam(v reflect.Value) (string, error) {
	if v.Type().Implements(textMarshaler) {
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return "", nil
		}
		b, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		return string(b), err
	}
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return strconv.FormatBool(v.Bool()), nil
	case reflect.Int, reflect.Int64, reflect.Int32:
		return strconv.FormatInt(v.Int(), 10), nil
	case reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'f', -1, 64), nil
	}
	return "", fmt.Errorf("unsupported kind %s", v.Kind())
}

func parseParam(v reflect.Value, s string) error {
	if v.Kind() == reflect.Pointer && v.Type().Implements(textMarshaler) {
		nv := reflect.New(v.Type().Elem())
		if err := nv.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return err
		}
		v.Set(nv)
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return err
		}
		v.SetInt(n)
	case reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return err
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("unsupported kind %s", v.Kind())
	}
	return nil
}
