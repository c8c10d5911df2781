package scenarios

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/synth"
)

// web is a one-server network: HTTP in through a NACL whose return rule is
// the AWS example's 32768-65535 (SPEC.md §3.5).
const web = `vpc: {id: vpc-1, cidrs: [10.0.0.0/16]}
subnets: [{id: public, cidr: 10.0.1.0/24, nacl: acl-web}]
security_groups: [{id: sg-web, ingress: [{ip_protocol: tcp, ports: 80, cidr: 0.0.0.0/0}]}]
network_acls:
  - id: acl-web
    ingress: [{rule_number: 100, protocol: tcp, port_range: 80, cidr_block: 0.0.0.0/0, rule_action: allow}]
    egress: [{rule_number: 140, protocol: tcp, port_range: 32768-65535, cidr_block: 0.0.0.0/0, rule_action: allow}]
hosts:
  - {name: web, subnet: public, addresses: [10.0.1.10], security_groups: [sg-web]}
  - {name: xp, external: true, addresses: [198.51.100.7], os: windows-xp}
  - {name: linux, external: true, addresses: [198.51.100.8], os: linux}
traffic:
  - {name: xp-browse, tcp: {client: xp, server: web, dst_port: 80, start: 1s}}
  - {name: linux-browse, tcp: {client: linux, server: web, dst_port: 80, start: 2s, count: 3, every: 1s}}
`

// TestFailedExpectationCarriesTheTrace checks that an expectation the run
// contradicts fails, says what happened, and carries the packets of the
// flow that contradicts it — here the Windows XP client whose replies die
// at the NACL's "*" rule (SPEC.md §3.8, §8 #24).
func TestFailedExpectationCarriesTheTrace(t *testing.T) {
	s := mustParse(t, web+`expect:
  - {flow: xp-browse, verdict: allowed}
  - {flow: linux-browse, verdict: allowed}
  - {match: {src: xp, dst_port: 80}, verdict: dropped, where: {filter: nacl, acl: acl-web, direction: egress, rule: "*"}, from_packet: 2}
  - {flow: xp-browse, verdict: dropped, where: {rule: "140"}}
  - {host: web, counter: inserted, max: 0}
`)
	out, err := s.Run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if out.Passed {
		t.Fatal("Outcome.Passed with failing expectations")
	}
	wantPass := []bool{false, true, true, false, true}
	for i, c := range out.Checks {
		if c.Passed != wantPass[i] {
			t.Errorf("check %d (%s): passed %v, want %v; got %s", i, c.Expectation.Text, c.Passed, wantPass[i], c.Got)
		}
	}
	c := out.Checks[0]
	if !strings.HasPrefix(c.Got, "dropped from packet 2 at 1.01s: nacl public egress acl-web rule * (nacl_default_deny)") {
		t.Errorf("got %q", c.Got)
	}
	if c.Flow == 0 || len(c.Trace) == 0 {
		t.Fatalf("no trace for the contradicting flow (flow %d)", c.Flow)
	}
	for _, r := range c.Trace {
		if r.Flow != c.Flow || len(r.Steps) == 0 {
			t.Errorf("trace record %+v", r)
		}
	}
	if c.Trace[1].Forwarded {
		t.Error("packet 2 of xp-browse forwarded")
	}
	if got := out.Checks[1].Got; !strings.HasPrefix(got, "3 of 3 sessions as expected") {
		t.Errorf("linux-browse got %q", got)
	}
	if len(out.Checks[1].Trace) != 0 {
		t.Error("a passing check carries a trace")
	}
}

// TestRunOptions checks the seed override, the horizon, Explain, and a run
// of extra sources without the scenario's own traffic.
func TestRunOptions(t *testing.T) {
	s := mustParse(t, web)
	ports := func(opt RunOptions) string {
		out, err := s.Run(opt)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, f := range out.Result.Flows {
			keys = append(keys, f.Key)
		}
		return strings.Join(keys, ";")
	}
	a, b := ports(RunOptions{}), ports(RunOptions{})
	seed := uint64(99)
	c := ports(RunOptions{Seed: &seed})
	if a != b || a == c {
		t.Errorf("same seed gave %q and %q; seed 99 gave %q", a, b, c)
	}

	out, err := s.Run(RunOptions{Horizon: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(out.Result.Flows); n != 1 {
		t.Errorf("horizon 1.5s: %d flows, want only xp-browse", n)
	}

	out, err = s.Run(RunOptions{Explain: true})
	if err != nil {
		t.Fatal(err)
	}
	if uint64(len(out.Result.Packets)) != out.Result.Summary.Read {
		t.Errorf("explain: %d records for %d packets", len(out.Result.Packets), out.Result.Summary.Read)
	}

	g, err := synth.New([]synth.Flow{{Name: "outside", Kind: synth.TCP,
		Client: synth.Endpoint{Addr: netip.MustParseAddr("198.51.100.99"), OS: "linux"},
		Server: synth.Endpoint{Addr: netip.MustParseAddr("10.0.1.10")}, DstPort: 80}}, 1)
	if err != nil {
		t.Fatal(err)
	}
	s.Expectations = []Expectation{{Flow: "outside", Verdict: "dropped", Max: -1}}
	out, err = s.Run(RunOptions{NoTraffic: true, ExtraSources: []packet.Source{g}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Result.Flows) != 1 || out.Result.Flows[0].Name != "outside" {
		t.Errorf("extra source only: flows %+v", out.Result.Flows)
	}
	// A capture cannot be read twice: a failed check has no trace then.
	if c := out.Checks[0]; c.Passed || c.Flow == 0 || c.Trace != nil || out.Result.Packets != nil {
		t.Errorf("check with an extra source: %+v", c)
	}
}

// TestFlowsAreNamedThroughPublicAddresses checks that a flow to a host's
// public address keeps its name after the internet gateway's 1:1 NAT
// (SPEC.md §6): the engine asks the generator with the public tuple too.
func TestFlowsAreNamedThroughPublicAddresses(t *testing.T) {
	s := mustParse(t, strings.Replace(web, "addresses: [10.0.1.10],", "addresses: [10.0.1.10], public_addresses: [192.0.2.10],", 1))
	out, err := s.Run(RunOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range out.Result.Flows {
		if f.Name == "" {
			t.Errorf("flow %s has no name", f.Key)
		}
	}
}

// TestRunReportsEngineErrors checks that an error of the engine names the
// scenario file.
func TestRunReportsEngineErrors(t *testing.T) {
	s := mustParse(t, web)
	s.Options.Allowances = map[string]int{"nobody": 3}
	if _, err := s.Run(RunOptions{}); err == nil || !strings.HasPrefix(err.Error(), "test.yaml: ") {
		t.Errorf("err = %v", err)
	}
}
