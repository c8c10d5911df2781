package awsjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/firewall/internal/awsimport"
)

// Result is what the files read so far describe: the network as a
// firewall.Inventory, and the warnings met on the way (things not supported,
// things assumed). The zero Result is empty and ready for Parse.
type Result struct {
	Inventory firewall.Inventory
	Warnings  []Warning

	files []*file // every file parsed so far, in the order given
}

// Warning is something the importer did not read as-is: an unsupported
// feature it ignored, or a value it assumed. Msg starts with what kind of
// warning it is ("unsupported …", "assumed …", "duplicate …"). The zero
// Warning says nothing.
type Warning struct {
	Origin firewall.Origin
	Msg    string
}

// String formats w as "file:line:col: msg".
func (w Warning) String() string {
	if s := w.Origin.String(); s != "" {
		return s + ": " + w.Msg
	}
	return w.Msg
}

// file is one parsed input file.
type file struct {
	name string
	ix   *awsimport.Index
	doc  document
	keys []string // top-level keys, sorted
}

// Load reads one file, or every *.json file of a directory in name order, and
// returns the network they describe. Errors are *firewall.Error values
// with the file:line:col position (or os errors wrapped with the path).
func Load(path string) (*Result, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("awsjson: %w", err)
	}
	names := []string{path}
	if st.IsDir() {
		entries, err := os.ReadDir(path)
		if err != nil {
			return nil, fmt.Errorf("awsjson: %w", err)
		}
		names = names[:0]
		for _, e := range entries {
			if !e.IsDir() && strings.HasSuffix(strings.ToLower(e.Name()), ".json") {
				names = append(names, filepath.Join(path, e.Name()))
			}
		}
		slices.Sort(names)
		if len(names) == 0 {
			return nil, fmt.Errorf("awsjson: %s: no *.json files", path)
		}
	}
	r := new(Result)
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("awsjson: %w", err)
		}
		if err := r.add(name, data); err != nil {
			return nil, err
		}
	}
	if err := r.rebuild(); err != nil {
		return nil, err
	}
	r.checkReferences()
	return r, nil
}

// Parse reads the output of one aws ec2 describe-… command (which one is
// sniffed from the top-level key: Vpcs, Subnets, SecurityGroups,
// SecurityGroupRules, NetworkAcls, NetworkInterfaces, PrefixLists,
// Reservations for describe-instances, or Entries for
// get-managed-prefix-list-entries) and merges it into into,
// whose Inventory and Warnings are recomputed from every file given so far
// (so the order of the files does not matter). name is used in positions;
// for prefix list entries it must contain the list's ID (see package doc).
// On error, into is left as it was.
func Parse(name string, data []byte, into *Result) error {
	if into == nil {
		return fmt.Errorf("awsjson: Parse %s: nil *Result", name)
	}
	n := len(into.files)
	if err := into.add(name, data); err != nil {
		return err
	}
	if err := into.rebuild(); err != nil {
		into.files = into.files[:n]
		if err2 := into.rebuild(); err2 != nil {
			return err2
		}
		return err
	}
	return nil
}

// add decodes and indexes one file.
func (r *Result) add(name string, data []byte) error {
	ix := awsimport.NewIndex(name, data)
	if len(bytes.TrimSpace(data)) == 0 {
		return &firewall.Error{Origin: firewall.Origin{File: name}, Msg: "empty file"}
	}
	var top map[string]json.RawMessage
	err := json.Unmarshal(data, &top)
	if _, ok := errors.AsType[*json.SyntaxError](err); ok {
		return ix.JSONError(err)
	}
	if err := ix.Build(); err != nil {
		return err
	}
	if top == nil { // not an object: null, an array, a string, a number…
		start := len(data) - len(bytes.TrimLeft(data, " \t\r\n"))
		return &firewall.Error{Origin: ix.Origin(start), Msg: `expected the JSON object that "aws ec2 describe-…" prints ` +
			`(with a key such as "SecurityGroups"), found ` + awsimport.JSONKind(data[start:])}
	}
	if err != nil {
		return ix.JSONError(err)
	}
	f := &file{name: name, ix: ix}
	if err := json.Unmarshal(data, &f.doc); err != nil {
		return ix.JSONError(err)
	}
	for k := range top {
		f.keys = append(f.keys, k)
	}
	slices.Sort(f.keys)
	r.files = append(r.files, f)
	return nil
}

// builder accumulates one rebuild of the inventory.
type builder struct {
	inv      firewall.Inventory
	warnings []Warning
	seen     map[string]firewall.Origin // "kind id" → where first defined
	naclOf   map[string]string          // subnet ID → associated NACL ID
}

func (b *builder) warn(o firewall.Origin, format string, args ...any) {
	b.warnings = append(b.warnings, Warning{Origin: o, Msg: fmt.Sprintf(format, args...)})
}

// first reports whether kind id is defined here for the first time; if not
// it records a "duplicate" warning.
func (b *builder) first(kind, id string, o firewall.Origin) bool {
	k := kind + " " + id
	if prev, ok := b.seen[k]; ok {
		b.warn(o, "duplicate %s %s ignored (first defined at %s)", kind, id, prev)
		return false
	}
	b.seen[k] = o
	return true
}

// rebuild recomputes r.Inventory and r.Warnings from r.files. Objects are
// read kind by kind (VPCs first, interfaces last) so that files may come in
// any order.
func (r *Result) rebuild() error {
	b := &builder{seen: make(map[string]firewall.Origin), naclOf: make(map[string]string)}
	for _, f := range r.files {
		for _, k := range f.keys {
			if !knownKeys[k] {
				b.warn(f.ix.Pos(k), "unsupported top-level key %q ignored (not an output this importer reads)", k)
			}
		}
	}
	steps := []func(*file) error{
		b.vpcs, b.subnets, b.prefixLists, b.prefixListEntries,
		b.securityGroups, b.securityGroupRules, b.networkACLs, b.interfaces, b.instances,
	}
	for _, step := range steps {
		for _, f := range r.files {
			if err := step(f); err != nil {
				return err
			}
		}
	}
	awsimport.Associate(&b.inv, b.naclOf) // SPEC.md §3.1
	r.Inventory, r.Warnings = b.inv, b.warnings
	return nil
}

// checkReferences warns about references to objects that none of the files
// define: the compiler will refuse them, and the warning says where they are.
func (r *Result) checkReferences() {
	have := make(map[string]bool)
	for _, g := range r.Inventory.SecurityGroups {
		have["sg "+g.ID] = true
	}
	for _, p := range r.Inventory.PrefixLists {
		have["pl "+p.ID] = true
	}
	for _, s := range r.Inventory.Subnets {
		have["subnet "+s.ID] = true
	}
	w := func(o firewall.Origin, format string, args ...any) {
		r.Warnings = append(r.Warnings, Warning{Origin: o, Msg: fmt.Sprintf(format, args...)})
	}
	for _, g := range r.Inventory.SecurityGroups {
		for _, rules := range [][]firewall.SGRule{g.Ingress, g.Egress} {
			for _, rule := range rules {
				if rule.Group != "" && !have["sg "+rule.Group] {
					w(rule.Origin, "security group %s rule references group %s, which no file describes", g.ID, rule.Group)
				}
				if rule.PrefixList != "" && !have["pl "+rule.PrefixList] {
					w(rule.Origin, "security group %s rule references prefix list %s, which no file describes", g.ID, rule.PrefixList)
				}
			}
		}
	}
	for _, in := range r.Inventory.Interfaces {
		for _, g := range in.Groups {
			if !have["sg "+g] {
				w(in.Origin, "interface %s is in security group %s, which no file describes", in.ID, g)
			}
		}
		if in.Subnet != "" && !have["subnet "+in.Subnet] {
			w(in.Origin, "interface %s is in subnet %s, which no file describes", in.ID, in.Subnet)
		}
	}
	for _, s := range r.Inventory.Subnets {
		if s.NACL == "" {
			w(s.Origin, "subnet %s has no network ACL: no file describes an association or its VPC's default network ACL", s.ID)
		}
	}
}
