package awsimport

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"

	"github.com/ctsim/ctsim/firewall"
)

// Index maps the JSON paths of one file to byte offsets, and offsets to
// file:line:col positions. A path is a JSON pointer made of member names and
// array indexes ("/SecurityGroups/0/IpPermissions/1/IpRanges/0/CidrIp",
// "/values/root_module/resources/3/values/ingress/0"), given to the methods
// as its parts ("SecurityGroups", 0, "IpPermissions", …). A path's offset is the key of an
// object member, or the first byte of an array element or of the root.
//
// Errors it makes are *firewall.Error values: Origin is the position, Field
// the JSON member at fault ("CidrIp", "FromPort"; "" for syntax errors), Msg
// what is wrong. Precision: syntax and type errors point at the byte where
// encoding/json stopped. Semantic errors (a bad CIDR, a port out of range,
// an unknown protocol) point at the key of the offending member
// ("CidrIp": …), or at the enclosing object when the member is absent.
// Lines and columns count from 1; columns count bytes.
//
// NewIndex makes an Index that knows lines only; Build adds the paths. An
// Index is not safe for concurrent Build; once built, its methods only read
// it. It keeps data, which the caller must not change.
type Index struct {
	file  string
	data  []byte
	lines []int // offset of the first byte of each line
	at    map[string]int
}

// NewIndex prepares the line table of data, read from the file named file;
// Build indexes the paths.
func NewIndex(file string, data []byte) *Index {
	ix := &Index{file: file, data: data, at: make(map[string]int), lines: []int{0}}
	for i, b := range data {
		if b == '\n' {
			ix.lines = append(ix.lines, i+1)
		}
	}
	return ix
}

// Build walks the tokens of the data, which should already be known to be
// valid JSON, and records the offset of every path. A JSON error comes back
// positioned, as from JSONError.
func (ix *Index) Build() error {
	dec := json.NewDecoder(bytes.NewReader(ix.data))
	dec.UseNumber()
	if err := ix.walk(dec, "", -1); err != nil {
		return ix.JSONError(err)
	}
	return nil
}

// skip returns the offset of the next token at or after off, skipping
// whitespace and the separators the decoder consumes lazily.
func (ix *Index) skip(off int) int {
	for off < len(ix.data) {
		switch ix.data[off] {
		case ' ', '\t', '\n', '\r', ',', ':':
			off++
		default:
			return off
		}
	}
	return off
}

func (ix *Index) walk(dec *json.Decoder, path string, keyAt int) error {
	start := ix.skip(int(dec.InputOffset()))
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if keyAt >= 0 {
		ix.at[path] = keyAt
	} else {
		ix.at[path] = start
	}
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			kAt := ix.skip(int(dec.InputOffset()))
			k, err := dec.Token()
			if err != nil {
				return err
			}
			ks, _ := k.(string)
			if err := ix.walk(dec, path+"/"+ks, kAt); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			if err := ix.walk(dec, path+"/"+strconv.Itoa(i), -1); err != nil {
				return err
			}
		}
		_, err = dec.Token()
	}
	return err
}

// Origin converts a byte offset of the data into a position. An offset
// past the end counts as in the last line.
func (ix *Index) Origin(off int) firewall.Origin {
	lo, hi := 0, len(ix.lines)-1
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if ix.lines[mid] <= off {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return firewall.Origin{File: ix.file, Line: lo + 1, Col: off - ix.lines[lo] + 1}
}

// Pos returns the position of the JSON path made of parts (strings and
// ints), falling back to the nearest enclosing value that was indexed.
func (ix *Index) Pos(parts ...any) firewall.Origin {
	ps := make([]string, len(parts))
	for i, p := range parts {
		switch v := p.(type) {
		case int:
			ps[i] = strconv.Itoa(v)
		default:
			ps[i] = fmt.Sprint(v)
		}
	}
	for n := len(ps); n >= 0; n-- {
		path := ""
		if n > 0 {
			path = "/" + strings.Join(ps[:n], "/")
		}
		if off, ok := ix.at[path]; ok {
			return ix.Origin(off)
		}
	}
	return firewall.Origin{File: ix.file}
}

// Errorf returns a *firewall.Error at the JSON path parts; Field is the
// last part when it is a member name.
func (ix *Index) Errorf(parts []any, format string, args ...any) error {
	e := &firewall.Error{Origin: ix.Pos(parts...), Msg: fmt.Sprintf(format, args...)}
	if len(parts) > 0 {
		e.Field, _ = parts[len(parts)-1].(string)
	}
	return e
}

// JSONError turns an encoding/json error into a positioned *firewall.Error.
func (ix *Index) JSONError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		// Offset counts the bytes read, the bad one included.
		off := int(syn.Offset)
		if off > 0 && !strings.HasPrefix(syn.Error(), "unexpected end") {
			off--
		}
		return &firewall.Error{Origin: ix.Origin(off), Msg: "invalid JSON: " + syn.Error()}
	case errors.As(err, &typ):
		// Offset is past the offending value; point at the key (or array
		// element) it belongs to when the paths are indexed.
		off := int(typ.Offset)
		best := -1
		for _, at := range ix.at {
			if at < off && at > best {
				best = at
			}
		}
		if best >= 0 {
			off = best
		}
		msg := fmt.Sprintf("%s is %s, want %s", typ.Field, foundWord(typ.Value), wantWord(typ.Type, typ.Value))
		if typ.Field == "" {
			msg = fmt.Sprintf("found %s, want %s", foundWord(typ.Value), wantWord(typ.Type, typ.Value))
		}
		return &firewall.Error{Origin: ix.Origin(off), Field: typ.Field, Msg: msg}
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return &firewall.Error{Origin: ix.Origin(len(ix.data)), Msg: "invalid JSON: unexpected end of input"}
	}
	return &firewall.Error{Origin: firewall.Origin{File: ix.file}, Msg: err.Error()}
}

// JSONKind names, in words, the kind of the JSON value that data starts
// with (no leading space): "an object", "an array", "a string", "a number",
// "true or false", "null".
func JSONKind(data []byte) string {
	if len(data) == 0 {
		return "nothing"
	}
	switch data[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "true or false"
	case 'n':
		return "null"
	}
	return "a number"
}

// foundWord names, in JSON terms, the value kind an UnmarshalTypeError
// reports: "string" → "a string", "number 1.5" → "the number 1.5".
func foundWord(v string) string {
	switch {
	case v == "bool":
		return "true or false"
	case v == "null":
		return "null"
	case strings.HasPrefix(v, "number "):
		return "the " + v
	case v == "array", v == "object":
		return "an " + v
	case v == "":
		return "a value"
	}
	return "a " + v
}

// wantWord names, in JSON terms, what a Go type accepts ("a number", "a
// string", "an object"), never the Go type itself: users write JSON, not Go.
// For a number that does not fit an integer type (value "number 1.5"), it
// says which whole numbers fit.
func wantWord(t reflect.Type, value string) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return "another kind of value"
	}
	num := strings.HasPrefix(value, "number")
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if num {
			bits := t.Bits()
			return fmt.Sprintf("a whole number from %d to %d", int64(-1)<<(bits-1), int64(uint64(1)<<(bits-1)-1))
		}
		return "a number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if num {
			return fmt.Sprintf("a whole number from 0 to %d", uint64(1)<<(t.Bits()-1)<<1-1)
		}
		return "a number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "another kind of value"
}

// Sub returns the JSON path at extended by more, never sharing at's array.
func Sub(at []any, more ...any) []any {
	return append(at[:len(at):len(at)], more...)
}
