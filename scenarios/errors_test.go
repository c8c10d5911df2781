package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/conntrack"
)

// base is a minimal valid network: lines 1–4 of every error case.
const base = `vpc: {id: vpc-1, cidrs: [10.0.0.0/16]}
subnets: [{id: public, cidr: 10.0.1.0/24}]
security_groups: [{id: sg-web, ingress: [{ip_protocol: tcp, ports: 80, cidr: 0.0.0.0/0}]}]
hosts: [{name: web, subnet: public, addresses: [10.0.1.10], security_groups: [sg-web]}]
`

// TestParseErrorsNamePositionAndWhatIsAllowed checks every documented error
// of the format (docs/scenario-format.md, "Errors"): the exact text, with
// the file, line and column of the offending value, and what is allowed.
// Timeout ranges are AWS's (SPEC.md §2.4); rule numbers §3.1; ports and
// protocols §1.1 and §3.2.
func TestParseErrorsNamePositionAndWhatIsAllowed(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		// YAML itself
		{"syntax", "hosts: [a, b\nseed: 1\n", `web.yaml:1:8: yaml syntax: did not find expected ',' or ']'`},
		{"syntax on a later line", "name: x\nseed: [1\n", `web.yaml:2:7: yaml syntax: did not find expected ',' or ']'`},
		{"too many packets", base + "traffic: [{name: big, udp: {client: web, server: 192.0.2.1, dst_port: 53, count: 5, requests: 1000000}}]\n", `web.yaml:5:82: flow "big": the flows make more than 4194304 packets (at flow "big" session 3)`},
		{"empty file", "", `web.yaml: the file is empty; a scenario needs at least hosts, rules and traffic`},
		{"not a mapping", "- a\n- b\n", `web.yaml:1:1: scenario: want a mapping, got a list`},
		{"merge key", "vpc: {<<: {id: v}, cidrs: [10.0.0.0/16]}\n", `web.yaml:1:7: vpc: YAML merge keys (<<) are not supported; write the fields out`},
		// keys
		{"unknown top-level key", base + "hostz: []\n", `web.yaml:5:1: unknown key "hostz" in scenario; allowed: name, title, story, seed, options, vpc, subnets, hosts, prefix_lists, security_groups, network_acls, rules, traffic, changes, expect`},
		{"unknown host key", "hosts: [{name: a, external: true, addresses: [192.0.2.1], ip: 1}]\n", `web.yaml:1:59: unknown key "ip" in host; allowed: name, id, subnet, external, addresses, public_addresses, security_groups, os, ports, sequential_ports, instance_type, service, conntrack`},
		{"duplicate key", base + "seed: 1\nseed: 2\n", `web.yaml:6:1: key "seed" appears twice in scenario (first at line 5)`},
		// types and values
		{"wrong type", base + "seed: abc\n", `web.yaml:5:7: seed: want an integer, got "abc"`},
		{"list for a string", base + "title: [a]\n", `web.yaml:5:8: title: want a string, got a list`},
		{"bad duration", base + "options: {duration: soon}\n", `web.yaml:5:21: duration: want a duration such as 30s, 5m or 432000 (seconds), got "soon"`},
		{"negative duration", base + "options: {duration: -5s}\n", `web.yaml:5:21: duration: -5s is negative`},
		{"bad profile", base + "options: {profile: bsd}\n", `web.yaml:5:20: profile "bsd": want aws or linux`},
		{"bad cidr", "vpc: {id: v, cidrs: [10.0.0.0/33]}\n", `web.yaml:1:22: cidrs "10.0.0.0/33" is not a CIDR block (want an address and a prefix length, such as 10.0.0.0/16, 203.0.113.1/32 or 2001:db8::/56)`},
		{"bad address", "hosts: [{name: a, external: true, addresses: [10.0.0.300]}]\n", `web.yaml:1:47: addresses "10.0.0.300" is not an IP address (want 10.0.1.10 or 2001:db8::10)`},
		{"subnet outside vpc", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.1.0.0/24}]\n", `web.yaml:2:25: cidr 10.1.0.0/24 is not inside the vpc's cidrs 10.0.0.0/16`},
		{"subnets overlap", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}, {id: t, cidr: 10.0.1.128/25}]\n", `web.yaml:2:39: subnet t cidr 10.0.1.128/25 overlaps subnet s (10.0.1.0/24)`},
		// security group rules
		{"port out of range", base + "security_groups: []\n", `web.yaml:5:1: key "security_groups" appears twice in scenario (first at line 3)`},
		{"from_port out of range", "security_groups: [{id: g, ingress: [{ip_protocol: tcp, from_port: 70000, to_port: 70000, cidr: 0.0.0.0/0}]}]\n", `web.yaml:1:67: from_port 70000 is outside 0–65535`},
		{"ports out of range", "security_groups: [{id: g, ingress: [{ip_protocol: udp, ports: 1-70000, cidr: 0.0.0.0/0}]}]\n", `web.yaml:1:63: ports: port 70000 is outside 0–65535`},
		{"ports backwards", "security_groups: [{id: g, ingress: [{ip_protocol: udp, ports: 90-80, cidr: 0.0.0.0/0}]}]\n", `web.yaml:1:63: ports: 90-80 runs backwards (from 90 to 80)`},
		{"tcp rule without ports", "security_groups: [{id: g, ingress: [{ip_protocol: tcp, cidr: 0.0.0.0/0}]}]\n", `web.yaml:1:37: ingress rule of g: a tcp rule needs from_port and to_port (or ports: 80, ports: 1024-65535)`},
		{"bad protocol", "security_groups: [{id: g, ingress: [{ip_protocol: http, ports: 80, cidr: 0.0.0.0/0}]}]\n", `web.yaml:1:51: ip_protocol "http" is not a protocol (want tcp, udp, icmp, icmpv6, gre, esp, sctp, all, -1 or a number 0–255)`},
		{"two peers", "security_groups: [{id: g, ingress: [{ip_protocol: tcp, ports: 80, cidr: 0.0.0.0/0, group: g}]}]\n", `web.yaml:1:37: ingress rule of g: give exactly one peer: cidr, group or prefix_list (found 2)`},
		{"icmp code without type", "security_groups: [{id: g, ingress: [{ip_protocol: icmp, from_port: -1, to_port: 4, cidr: 0.0.0.0/0}]}]\n", `web.yaml:1:81: to_port 4 needs a specific from_port: with all ICMP types (-1) the code must be -1 too`},
		{"unknown referenced group", "security_groups: [{id: g, ingress: [{ip_protocol: tcp, ports: 80, group: sg-nope}]}]\n", `web.yaml:1:37: rule of g refers to security group "sg-nope", which is not defined; defined: g`},
		{"duplicate rule id", "security_groups: [{id: g, ingress: [{rule_id: r, ip_protocol: tcp, ports: 80, cidr: 0.0.0.0/0}, {rule_id: r, ip_protocol: tcp, ports: 81, cidr: 0.0.0.0/0}]}]\n", `web.yaml:1:107: rule_id "r" is used twice in g (first at line 1)`},
		// network ACLs
		{"duplicate nacl rule number", "network_acls:\n  - id: acl-web\n    ingress:\n      - {rule_number: 100, protocol: tcp, port_range: 80, cidr_block: 0.0.0.0/0, rule_action: allow}\n      - {rule_number: 100, protocol: tcp, port_range: 443, cidr_block: 0.0.0.0/0, rule_action: allow}\n", `web.yaml:5:23: rule_number 100 is used twice in acl-web ingress (first at line 4); rule numbers are unique per direction`},
		{"nacl rule number out of range", "network_acls: [{id: a, egress: [{rule_number: 40000, protocol: -1, cidr_block: 0.0.0.0/0, rule_action: deny}]}]\n", `web.yaml:1:47: rule_number 40000 is outside 1–32766 (32767 and up are reserved for the "*" rule)`},
		{"nacl star rule", "network_acls: [{id: a, egress: [{rule_number: \"*\", protocol: -1, cidr_block: 0.0.0.0/0, rule_action: deny}]}]\n", `web.yaml:1:47: rule_number *: the default deny rule is implicit and cannot be written; use 1–32766`},
		{"nacl bad action", "network_acls: [{id: a, egress: [{rule_number: 1, protocol: -1, cidr_block: 0.0.0.0/0, rule_action: drop}]}]\n", `web.yaml:1:100: rule_action "drop": want allow or deny`},
		{"nacl two cidrs", "network_acls: [{id: a, egress: [{rule_number: 1, protocol: -1, cidr_block: 0.0.0.0/0, ipv6_cidr_block: \"::/0\", rule_action: deny}]}]\n", `web.yaml:1:104: egress entry of a: give cidr_block or ipv6_cidr_block, not both (one CIDR per entry)`},
		{"nacl port range on icmp", "network_acls: [{id: a, egress: [{rule_number: 1, protocol: icmp, port_range: 80, cidr_block: 0.0.0.0/0, rule_action: deny}]}]\n", `web.yaml:1:78: port_range applies to tcp and udp entries only; for icmp use icmp_type and icmp_code`},
		{"unknown nacl on subnet", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24, nacl: acl-x}]\n", `web.yaml:2:44: subnet s: network ACL "acl-x" is not defined; defined: (none)`},
		// hosts
		{"host neither subnet nor external", "hosts: [{name: a, addresses: [192.0.2.1]}]\n", `web.yaml:1:9: host a: give subnet (an interface in the VPC) or external: true (a host outside it)`},
		{"unknown subnet on host", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nhosts: [{name: a, subnet: private, addresses: [10.0.2.10], security_groups: []}]\n", `web.yaml:2:27: host a: subnet "private" is not defined; defined: (none)`},
		{"address outside subnet", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts: [{name: a, subnet: s, addresses: [10.0.2.10], security_groups: []}]\n", `web.yaml:3:42: host a: address 10.0.2.10 is not in subnet s (10.0.1.0/24)`},
		{"unknown group on host", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts: [{name: a, subnet: s, addresses: [10.0.1.10], security_groups: [sg-x]}]\n", `web.yaml:3:72: host a: security group "sg-x" is not defined; defined: (none)`},
		{"duplicate host", base + "hosts: []\n", `web.yaml:5:1: key "hosts" appears twice in scenario (first at line 4)`},
		{"same address twice", "hosts: [{name: a, external: true, addresses: [192.0.2.1]}, {name: b, external: true, addresses: [192.0.2.1]}]\n", `web.yaml:1:98: host b: address 192.0.2.1 is already host a's`},
		{"unknown os", "hosts: [{name: a, external: true, addresses: [192.0.2.1], os: beos}]\n", `web.yaml:1:63: os "beos" is not a known profile; known: amazon-linux-doc, elb, freebsd, lambda, linux, macos, nat-gateway, windows, windows-xp`},
		{"unknown service", base + "options: {auto_tracked: [nat]}\n", `web.yaml:5:26: auto_tracked: service "nat" is not known; known: dynamodb-gateway-endpoint, egress-only-internet-gateway, gateway-load-balancer, global-accelerator, lambda, nat-gateway, network-firewall, network-load-balancer, privatelink, transit-gateway`},
		// conntrack timeouts (SPEC.md §2.4)
		{"udp timeout below range", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts:\n  - name: web\n    subnet: s\n    addresses: [10.0.1.10]\n    security_groups: []\n    conntrack: {udp_timeout: 20s}\n", `web.yaml:8:30: udp_timeout 20s is outside 30s–60s (AWS UdpTimeout)`},
		{"udp stream timeout above range", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts: [{name: web, subnet: s, addresses: [10.0.1.10], security_groups: [], conntrack: {udp_stream_timeout: 200}}]\n", `web.yaml:3:109: udp_stream_timeout 200s is outside 60s–180s (AWS UdpStreamTimeout)`},
		{"icmp timeout not positive", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts: [{name: web, subnet: s, addresses: [10.0.1.10], security_groups: [], conntrack: {icmp_timeout: 0s}}]\n", `web.yaml:3:103: icmp_timeout 0s must be positive`},
		// the per-state TCP timeouts: not AWS settings, any positive duration (SPEC.md §5.1)
		{"tcp time_wait timeout not positive", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts: [{name: web, subnet: s, addresses: [10.0.1.10], security_groups: [], conntrack: {tcp_time_wait_timeout: 0s}}]\n", `web.yaml:3:112: tcp_time_wait_timeout 0s must be positive`},
		{"tcp syn_sent timeout not a duration", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts: [{name: web, subnet: s, addresses: [10.0.1.10], security_groups: [], conntrack: {tcp_syn_sent_timeout: soon}}]\n", `web.yaml:3:111: tcp_syn_sent_timeout: want a duration such as 30s, 5m or 432000 (seconds), got "soon"`},
		{"tcp established timeout below range", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nsubnets: [{id: s, cidr: 10.0.1.0/24}]\nhosts: [{name: web, subnet: s, addresses: [10.0.1.10], security_groups: [], conntrack: {tcp_established_timeout: 59s}}]\n", `web.yaml:3:114: tcp_established_timeout 59s is outside 60s–432000s (AWS TcpEstablishedTimeout)`},
		// traffic
		{"unknown client", base + "traffic: [{name: f, tcp: {client: nobody, server: web, dst_port: 80}}]\n", `web.yaml:5:35: client: "nobody" is neither a host nor an IP address; hosts: web`},
		{"flow without kind", base + "traffic: [{name: f}]\n", `web.yaml:5:11: flow "f": say what it is: one of tcp, udp, icmp_echo, icmp_error, other`},
		{"flow with two kinds", base + "traffic: [{name: f, tcp: {client: web, server: 192.0.2.1, dst_port: 80}, udp: {}}]\n", `web.yaml:5:74: flow "f": give one of tcp, udp, icmp_echo, icmp_error, other, not both tcp and udp`},
		{"duplicate flow", base + "traffic:\n  - {name: f, tcp: {client: web, server: 192.0.2.1, dst_port: 80}}\n  - {name: f, tcp: {client: web, server: 192.0.2.1, dst_port: 81}}\n", `web.yaml:7:12: flow "f" is defined twice (first at line 6)`},
		{"missing dst_port", base + "traffic: [{name: f, tcp: {client: web, server: 192.0.2.1}}]\n", `web.yaml:5:26: tcp flow f: dst_port is required`},
		{"dst_port out of range", base + "traffic: [{name: f, udp: {client: web, server: 192.0.2.1, dst_port: 70000}}]\n", `web.yaml:5:69: dst_port 70000 is outside 1–65535`},
		{"mixed families", base + "traffic: [{name: f, udp: {client: web, server: \"2001:db8::1\", dst_port: 53}}]\n", `web.yaml:5:35: host web has no IPv6 address, and the flow is IPv6 (the server is 2001:db8::1)`},
		{"unknown icmp error", base + "traffic: [{name: e, icmp_error: {from: 192.0.2.1, quote: e, error: redirect}}]\n", `web.yaml:5:68: error "redirect" is not known; known: admin-prohibited, frag-needed, host-unreachable, packet-too-big, port-unreachable, time-exceeded (or give icmp_type and icmp_code)`},
		{"unknown quote", base + "traffic: [{name: e, icmp_error: {from: 192.0.2.1, quote: nothing}}]\n", `web.yaml:5:58: quote: flow "nothing" is not defined; defined: e`},
		{"generator error placed at field", base + "traffic: [{name: f, udp: {client: web, server: 192.0.2.1, dst_port: 53, idle: 40s}}]\n", `web.yaml:5:79: flow "f": idle needs requests ≥ 2: it is the pause before the last request`},
		{"literal family mismatch", base + "traffic: [{name: f, udp: {client: 10.0.1.10, server: \"2001:db8::1\", dst_port: 53}}]\n", `web.yaml:5:54: 2001:db8::1 is IPv6 but the flow is IPv4 (the client is 10.0.1.10); client and server must be of one family`},
		// changes
		{"change without kind", base + "changes: [{at: 10s}]\n", `web.yaml:5:11: change: say what changes: one of add_sg_rule, remove_sg_rule, replace_sg_rule, add_nacl_entry, remove_nacl_entry, replace_nacl_entry, associate_nacl, set_tracking`},
		{"remove unknown sg rule", base + "changes: [{at: 10s, remove_sg_rule: {group: sg-web, direction: ingress, rule_id: ssh}}]\n", `web.yaml:5:82: remove_sg_rule: sg-web has no ingress rule "ssh" at this time; its rules: sg-web-in-1`},
		{"bad direction", base + "changes: [{at: 10s, remove_sg_rule: {group: sg-web, direction: in, rule_id: ssh}}]\n", `web.yaml:5:64: direction "in": want ingress or egress`},
		{"set_tracking out of range", base + "changes: [{at: 10s, set_tracking: {host: web, udp_timeout: 61s}}]\n", `web.yaml:5:60: udp_timeout 61s is outside 30s–60s (AWS UdpTimeout)`},
		{"set_tracking tcp fin_wait timeout not positive", base + "changes: [{at: 10s, set_tracking: {host: web, tcp_fin_wait_timeout: 0}}]\n", `web.yaml:5:69: tcp_fin_wait_timeout 0s must be positive`},
		{"set_tracking unknown timeout", base + "changes: [{at: 10s, set_tracking: {host: web, tcp_syn_timeout: 5s}}]\n", `web.yaml:5:47: unknown key "tcp_syn_timeout" in set_tracking; allowed: host, tcp_established_timeout, udp_timeout, udp_stream_timeout, icmp_timeout, tcp_syn_sent_timeout, tcp_syn_recv_timeout, tcp_fin_wait_timeout, tcp_close_wait_timeout, tcp_last_ack_timeout, tcp_time_wait_timeout, tcp_close_timeout`},
		{"remove nacl entry twice", "vpc: {id: v, cidrs: [10.0.0.0/16]}\nnetwork_acls: [{id: a, ingress: [{rule_number: 5, protocol: -1, cidr_block: 0.0.0.0/0, rule_action: allow}]}]\nhosts: [{name: x, external: true, addresses: [192.0.2.1]}]\nchanges:\n  - {at: 1s, remove_nacl_entry: {acl: a, direction: ingress, rule_number: 5}}\n  - {at: 2s, remove_nacl_entry: {acl: a, direction: ingress, rule_number: 5}}\n", `web.yaml:6:75: remove_nacl_entry: a ingress has no rule 5 at this time`},
		// expectations
		{"unknown flow in expectation", base + "expect: [{flow: nothing, verdict: allowed}]\n", `web.yaml:5:17: flow "nothing" is not defined in traffic; defined: (none)`},
		{"bad verdict", base + "traffic: [{name: f, tcp: {client: web, server: 192.0.2.1, dst_port: 80}}]\nexpect: [{flow: f, verdict: ok}]\n", `web.yaml:6:29: verdict "ok": want allowed, dropped or blocked`},
		{"where with allowed", base + "traffic: [{name: f, tcp: {client: web, server: 192.0.2.1, dst_port: 80}}]\nexpect: [{flow: f, verdict: allowed, where: {filter: sg}}]\n", `web.yaml:6:38: where describes a drop; it does not go with verdict allowed`},
		{"bad reason", base + "traffic: [{name: f, tcp: {client: web, server: 192.0.2.1, dst_port: 80}}]\nexpect: [{flow: f, verdict: dropped, where: {reason: nope}}]\n", `web.yaml:6:54: reason "nope" is not a reason token (for example nacl_default_deny, sg_no_matching_rule, conntrack_entry_expired)`},
		{"bad counter", base + "expect: [{host: web, counter: drops, min: 1}]\n", `web.yaml:5:31: counter "drops": want allowance_exceeded, peak_entries, entries, inserted, expired, forwarded, dropped`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("web.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("no error; want %s", tt.want)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T is not a *ParseError", err)
			}
			if tt.want == "" {
				t.Logf("%v", err)
				return
			}
			if err.Error() != tt.want {
				t.Errorf("got  %s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestTimeoutErrorsUnwrapToConntrack checks that a timeout outside AWS's
// range is conntrack's own *RangeError, with the file's position added
// (SPEC.md §2.4).
func TestTimeoutErrorsUnwrapToConntrack(t *testing.T) {
	_, err := Parse("web.yaml", []byte("hosts: [{name: w, subnet: s, addresses: [10.0.1.10], security_groups: [], conntrack: {udp_timeout: 0.5s}}]\n"))
	var re *conntrack.RangeError
	if !errors.As(err, &re) || re.Field != "udp_timeout" || re.AWSName != "UdpTimeout" {
		t.Fatalf("err = %v, want a *conntrack.RangeError", err)
	}
	if want := "web.yaml:1:100: udp_timeout 0.5s is outside 30s–60s (AWS UdpTimeout)"; err.Error() != want {
		t.Errorf("got %s, want %s", err, want)
	}
}

// TestParseErrorFormats checks the three shapes of ParseError.Error.
func TestParseErrorFormats(t *testing.T) {
	for _, tt := range []struct {
		e    ParseError
		want string
	}{
		{ParseError{File: "a.yaml", Line: 3, Col: 7, Msg: "m"}, "a.yaml:3:7: m"},
		{ParseError{File: "a.yaml", Line: 3, Msg: "m"}, "a.yaml:3: m"},
		{ParseError{File: "a.yaml", Msg: "m"}, "a.yaml: m"},
	} {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.e, got, tt.want)
		}
	}
	if !strings.HasPrefix((&ParseError{File: "x", Line: 1, Col: 1}).Error(), "x:1:1") {
		t.Error("prefix")
	}
}

// FuzzParse feeds arbitrary bytes to the parser, seeded with every built-in
// scenario. Parse must never panic, must return either a Scenario or a
// *ParseError, and must finish quickly (STYLE.md lesson 15).
func FuzzParse(f *testing.F) {
	for _, name := range BuiltinNames() {
		src, err := BuiltinSource(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(src)
	}
	f.Add([]byte(base))
	f.Add([]byte("a: &x [*x]\n"))
	f.Add([]byte("hosts: [{name: a, external: true, addresses: [\"::ffff:1.2.3.4\"]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		start := time.Now()
		s, err := Parse("fuzz.yaml", data)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Parse took %v", d)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Errorf("error %T %v is not a *ParseError", err, err)
			}
			if s != nil {
				t.Error("both a Scenario and an error")
			}
			return
		}
		if s == nil {
			t.Fatal("neither a Scenario nor an error")
		}
	})
}

// TestYAMLSyntaxErrorsPointAtTheirLine checks that a YAML syntax error
// names the line (counted from 1) and, where it can be known, the column
// of what is wrong: the '[' or '{' of a flow collection left open, or the
// line the parser gave up on. The YAML library counts its parser's lines
// from 0 and gives no column (docs/scenario-format.md, "Errors").
func TestYAMLSyntaxErrorsPointAtTheirLine(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"open list on line 2", "name: x\nseed: [1\n", `x.yaml:2:7: yaml syntax: did not find expected ',' or ']'`},
		{"open mapping on line 2", "name: x\nseed: {a: 1\n", `x.yaml:2:7: yaml syntax: did not find expected ',' or '}'`},
		{"open list in a block list", "a:\n  - 1\n  - [2, 3\n  - 4\n", `x.yaml:3:5: yaml syntax: did not find expected ',' or ']'`},
		{"innermost open list", "a:\n  b: [1, [2, 3\n", `x.yaml:2:10: yaml syntax: did not find expected ',' or ']'`},
		{"open list on line 1", "hosts: [a, b\nseed: 1\n", `x.yaml:1:8: yaml syntax: did not find expected ',' or ']'`},
		{"open list over lines", "a: 1\nb: [1,\n  2,\n  3\nc: 2\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or ']'`},
		{"bracket in a quoted scalar", "a: 'x[y'\nb: [1\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or ']'`},
		{"bracket in a plain scalar", "note: see [docs\nb: [1, 2\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or ']'`},
		{"bracket in a comment", "a: 1 # [x\nb: {c: 1\n", `x.yaml:2:4: yaml syntax: did not find expected ',' or '}'`},
		{"extra closing bracket", "a: 1\nb: [1, 2]]\n", `x.yaml:2:1: yaml syntax: did not find expected key`},
		{"list item in a mapping", "- a\n- b\nc: d\n", `x.yaml:3:1: yaml syntax: did not find expected '-' indicator`},
		// The scanner's lines are right already, and it gives no column.
		{"tab", "a: 1\n\tb: 2\n", `x.yaml:2: yaml syntax: found a tab character that violates indentation`},
		{"open quote", "a: 1\nb: 'abc\n", `x.yaml:2: yaml syntax: found unexpected end of stream`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

// FuzzParserErrorAt checks that placing a parser error never panics and
// always returns a line and column inside the document (or column 0).
func FuzzParserErrorAt(f *testing.F) {
	f.Add("a: [1, {b: 'x]', c: \"y\\\"[\"\n", 1, "did not find expected ',' or ']'")
	f.Add("- [\n  {\n", 2, "did not find expected ',' or '}'")
	f.Add("", 0, "did not find expected key")
	f.Fuzz(func(t *testing.T, doc string, line int, msg string) {
		l, c := parserErrorAt([]byte(doc), line, msg)
		lines := strings.Split(doc, "\n")
		if c != 0 && (l < 1 || l > len(lines) || c > len([]rune(lines[l-1]))) {
			t.Fatalf("position %d:%d outside the document (%d lines)", l, c, len(lines))
		}
	})
}

// TestNonAWSTimeoutErrorsUnwrapToConntrack checks that a non-positive
// timeout AWS does not configure (SPEC.md §5.1) is conntrack's own
// *RangeError too, without an AWS range or name.
func TestNonAWSTimeoutErrorsUnwrapToConntrack(t *testing.T) {
	for _, key := range []string{"icmp_timeout", "tcp_syn_sent_timeout", "tcp_syn_recv_timeout", "tcp_fin_wait_timeout",
		"tcp_close_wait_timeout", "tcp_last_ack_timeout", "tcp_time_wait_timeout", "tcp_close_timeout"} {
		_, err := Parse("web.yaml", []byte("hosts: [{name: w, subnet: s, addresses: [10.0.1.10], security_groups: [], conntrack: {"+key+": 0s}}]\n"))
		var re *conntrack.RangeError
		if !errors.As(err, &re) || re.Field != key || re.Max != 0 || re.AWSName != "" {
			t.Errorf("%s: err = %v, want a *conntrack.RangeError without an AWS range", key, err)
		}
	}
}
