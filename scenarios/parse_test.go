package scenarios

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/ctsim/ctsim/conntrack"
	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/packet"
	"github.com/ctsim/ctsim/sim/source/synth"
)

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse("test.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestParseBuildsTheInventory checks that the network part of a file
// becomes the firewall.Inventory AWS would hold: rules with AWS's field
// meanings (SPEC.md §1.1, §3.2), the default outbound rule of a new group
// (§1.3), and the default network ACL for a subnet that names none (§3.3).
func TestParseBuildsTheInventory(t *testing.T) {
	s := mustParse(t, `
name: inv
vpc: {id: vpc-1, cidrs: [10.0.0.0/16, "2001:db8::/56"]}
subnets:
  - {id: a, name: app, cidr: 10.0.1.0/24, ipv6_cidr: "2001:db8::/64", nacl: acl-a}
  - {id: b, cidr: 10.0.2.0/24}
prefix_lists:
  - {id: pl-office, max_entries: 5, cidrs: [203.0.113.0/24]}
security_groups:
  - id: sg-a
    ingress:
      - {rule_id: ssh, ip_protocol: tcp, from_port: 22, to_port: 22, prefix_list: pl-office}
      - {ip_protocol: icmp, from_port: 3, to_port: 4, cidr: 0.0.0.0/0}
      - {ip_protocol: "50", cidr: 198.51.100.0/24}
      - {ip_protocol: all, group: sg-a}
  - id: sg-b
    egress: []
network_acls:
  - id: acl-a
    ingress:
      - {rule_number: 90, protocol: tcp, port_range: 1433, cidr_block: 0.0.0.0/0, rule_action: deny}
      - {rule_number: 100, protocol: "6", from_port: 1024, to_port: 65535, cidr_block: 0.0.0.0/0, rule_action: ALLOW}
      - {rule_number: 110, protocol: icmpv6, icmp_type: 2, icmp_code: 0, ipv6_cidr_block: "::/0", rule_action: allow}
hosts:
  - name: web
    subnet: a
    addresses: [10.0.1.10, "2001:db8::10"]
    public_addresses: [192.0.2.10]
    security_groups: [sg-a, sg-b]
    instance_type: nitro-v6
    conntrack: {tcp_established_timeout: 3600, udp_timeout: 45s, udp_stream_timeout: 2m, icmp_timeout: 10s, allowance: 500}
  - {name: natgw, id: eni-nat, subnet: b, addresses: [10.0.2.5], security_groups: [], service: nat-gateway, os: nat-gateway}
  - {name: laptop, external: true, addresses: [198.51.100.9], os: freebsd, ports: 20000-20100, sequential_ports: true}
`)
	inv := s.Inventory
	if s.Name != "inv" || s.Seed != 1 || !s.Options.Replay {
		t.Errorf("name %q seed %d never_sent %v", s.Name, s.Seed, s.Options.Replay)
	}
	if len(inv.VPCs) != 1 || len(inv.VPCs[0].CIDRs) != 2 {
		t.Fatalf("vpcs: %+v", inv.VPCs)
	}
	// Subnet b names no ACL: it gets the allow-all default, IPv6 included.
	if got := inv.Subnets[1].NACL; got != DefaultNACL {
		t.Errorf("subnet b nacl %q, want %q", got, DefaultNACL)
	}
	def := inv.NetworkACLs[len(inv.NetworkACLs)-1]
	if def.ID != DefaultNACL || !def.IsDefault || len(def.Entries) != 4 {
		t.Errorf("default ACL %+v", def)
	}
	sgA := inv.SecurityGroups[0]
	wantIn := []firewall.SGRule{
		{ID: "ssh", Protocol: 6, FromPort: 22, ToPort: 22, PrefixList: "pl-office"},
		{ID: "sg-a-in-2", Protocol: 1, FromPort: 3, ToPort: 4, CIDR: netip.MustParsePrefix("0.0.0.0/0")},
		{ID: "sg-a-in-3", Protocol: 50, CIDR: netip.MustParsePrefix("198.51.100.0/24")},
		{ID: "sg-a-in-4", Protocol: firewall.ProtoAll, Group: "sg-a"},
	}
	for i := range sgA.Ingress {
		sgA.Ingress[i].Origin = firewall.Origin{}
	}
	if !reflect.DeepEqual(sgA.Ingress, wantIn) {
		t.Errorf("sg-a ingress\n got %+v\nwant %+v", sgA.Ingress, wantIn)
	}
	// No egress key: AWS's default outbound rule, for both families when
	// the VPC has IPv6 (SPEC.md §1.3); "egress: []" means none.
	if n := len(sgA.Egress); n != 2 || sgA.Egress[0].CIDR != allV4 || sgA.Egress[1].CIDR != allV6 {
		t.Errorf("sg-a egress %+v", sgA.Egress)
	}
	if n := len(inv.SecurityGroups[1].Egress); n != 0 {
		t.Errorf("sg-b egress has %d rules, want none", n)
	}
	acl := inv.NetworkACLs[0]
	if len(acl.Entries) != 3 || acl.Entries[1].Action != firewall.Allow || acl.Entries[1].FromPort != 1024 ||
		acl.Entries[2].ICMPType != 2 || acl.Entries[2].ICMPCode != 0 || acl.Entries[0].ICMPType != 0 {
		t.Errorf("acl-a entries %+v", acl.Entries)
	}
	web := inv.Interfaces[0]
	wantTrack := firewall.TrackingSpec{TCPEstablished: time.Hour, UDP: 45 * time.Second, UDPStream: 2 * time.Minute, ICMP: 10 * time.Second}
	if web.Tracking != wantTrack || web.InstanceType != "nitro-v6" || web.OS != "linux" || len(web.PublicAddrs) != 1 {
		t.Errorf("web %+v", web)
	}
	if s.Options.Allowances["web"] != 500 {
		t.Errorf("allowances %v", s.Options.Allowances)
	}
	nat := inv.Interfaces[1]
	if nat.ID != "eni-nat" || nat.Name != "natgw" || nat.Service != "nat-gateway" {
		t.Errorf("natgw %+v", nat)
	}
	laptop := s.HostByName("laptop")
	if laptop == nil || !laptop.External || laptop.Ports != (packet.PortRange{Lo: 20000, Hi: 20100}) || !laptop.Sequential || laptop.OS != "freebsd" {
		t.Errorf("laptop %+v", laptop)
	}
	if inv.Interfaces[2].Subnet != "" || inv.Interfaces[2].Groups != nil {
		t.Errorf("external host %+v", inv.Interfaces[2])
	}
}

// TestParseOptions checks the options block maps onto sim.Options.
func TestParseOptions(t *testing.T) {
	s := mustParse(t, `
seed: 42
options:
  profile: linux
  allowance: 100
  auto_tracked: [nat-gateway]
  duration: 10m
  no_state_on_later_drop: true
  no_mid_stream_pickup: true
  nacl_propagation_delay: 0.5
  sweep_interval: 5s
  never_sent: false
hosts: [{name: x, external: true, addresses: [192.0.2.1]}]
`)
	o := s.Options
	want := sim.Options{Profile: conntrack.ProfileLinux, Allowance: 100, AutoTracked: []string{"nat-gateway"},
		NoStateOnLaterDrop: true, NoMidStreamPickup: true, NACLPropagationDelay: 500 * time.Millisecond,
		SweepInterval: 5 * time.Second}
	if !reflect.DeepEqual(o, want) || s.Duration != 10*time.Minute || s.Seed != 42 {
		t.Errorf("options %+v duration %v seed %d", o, s.Duration, s.Seed)
	}
	// An empty auto_tracked list means "none", not the default.
	s = mustParse(t, "options: {auto_tracked: []}\nhosts: [{name: x, external: true, addresses: [192.0.2.1]}]\n")
	if s.Options.AutoTracked == nil || len(s.Options.AutoTracked) != 0 {
		t.Errorf("auto_tracked: [] gave %#v", s.Options.AutoTracked)
	}
}

// TestDurations checks both spellings the format accepts.
func TestDurations(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30s", 30 * time.Second, true},
		{"5m", 5 * time.Minute, true},
		{"1h30m", 90 * time.Minute, true},
		{"432000", 432000 * time.Second, true},
		{"0.25", 250 * time.Millisecond, true},
		{"10ms", 10 * time.Millisecond, true},
		{"soon", 0, false},
		{"NaN", 0, false},
		{"1e300", 0, false},
	} {
		got, ok := parseDuration(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseDuration(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// TestWarnings checks the inputs that are valid but probably not meant:
// a CIDR with host bits set (AWS masks it, SPEC.md §3.1) and ports on a
// protocol that has none (§1.1).
func TestWarnings(t *testing.T) {
	s := mustParse(t, `
security_groups:
  - id: g
    ingress: [{ip_protocol: gre, ports: 80, cidr: 10.0.1.5/24}]
hosts: [{name: x, external: true, addresses: [192.0.2.1]}]
`)
	want := []string{
		"test.yaml:4:41: ports is ignored for protocol gre: AWS allows all ports (SPEC.md §1.1)",
		"test.yaml:4:51: cidr 10.0.1.5/24 has host bits set; AWS stores it as 10.0.1.0/24",
	}
	if !reflect.DeepEqual(s.Warnings, want) {
		t.Errorf("warnings\n got %q\nwant %q", s.Warnings, want)
	}
	if got := s.Inventory.SecurityGroups[0].Ingress[0].CIDR.String(); got != "10.0.1.0/24" {
		t.Errorf("cidr %s", got)
	}
}

// TestTrafficMapsOntoSynthFlows checks the traffic section: host names and
// literal addresses, the public address of a VPC server seen from outside
// (SPEC.md §6), UDP applications, IPv6, ICMP errors and scripts.
func TestTrafficMapsOntoSynthFlows(t *testing.T) {
	s := mustParse(t, `
vpc: {id: v, cidrs: [10.0.0.0/16, "2001:db8::/56"]}
subnets: [{id: s, cidr: 10.0.1.0/24, ipv6_cidr: "2001:db8::/64"}]
security_groups: [{id: g}]
hosts:
  - {name: web, subnet: s, addresses: [10.0.1.10, "2001:db8::10"], public_addresses: [192.0.2.10], security_groups: [g]}
  - {name: xp, external: true, addresses: [198.51.100.7, "2001:db8:1::7"], os: windows-xp}
traffic:
  - {name: browse, tcp: {client: xp, server: web, dst_port: 80, exchanges: 3, think: 2s, idle: 400s, keepalive: 60s, close: rst, start: 1s, count: 2, every: 10s, poisson: true}}
  - {name: browse6, tcp: {client: xp, server: web, dst_port: 80, family: 6}}
  - {name: dns, udp: {client: web, server: 10.0.0.2, app: dns, requests: 3}}
  - {name: syslog, udp: {client: web, server: 198.51.100.7, app: syslog, requests: 10, rtt: 5ms}}
  - {name: ping, icmp_echo: {client: web, server: 8.8.8.8, id: 7, requests: 2}}
  - {name: pmtu, icmp_error: {from: 203.0.113.1, quote: browse, to: server, error: frag-needed}}
  - {name: gre, other: {client: web, server: 198.51.100.7, proto: 47, no_reply: true}}
  - {name: scripted, udp: {client: web, server: 198.51.100.7, dst_port: 9999, src_port: 5000, script: [{at: 0s}, {at: 31s, from: server, bytes: 10}]}}
`)
	get := func(name string) synth.Flow {
		for _, f := range s.Traffic {
			if f.Name == name {
				return f
			}
		}
		t.Fatalf("no flow %s", name)
		return synth.Flow{}
	}
	b := get("browse")
	if b.Kind != synth.TCP || b.Client.Addr != netip.MustParseAddr("198.51.100.7") || b.Client.OS != "windows-xp" ||
		b.Server.Addr != netip.MustParseAddr("192.0.2.10") || b.Exchanges != 3 || b.Idle != 400*time.Second ||
		b.Keepalive != time.Minute || b.Close != "rst" || b.Count != 2 || !b.Poisson || b.Start != time.Second {
		t.Errorf("browse %+v", b)
	}
	if b6 := get("browse6"); b6.Server.Addr != netip.MustParseAddr("2001:db8::10") {
		t.Errorf("browse6 server %s: IPv6 has no NAT, the private address is used", b6.Server.Addr)
	}
	if d := get("dns"); d.DstPort != 53 || d.NoReply || d.Requests != 3 || d.Server.Addr != netip.MustParseAddr("10.0.0.2") {
		t.Errorf("dns %+v", d)
	}
	if sl := get("syslog"); sl.DstPort != 514 || !sl.NoReply || sl.RTT != 5*time.Millisecond {
		t.Errorf("syslog %+v", sl)
	}
	if p := get("ping"); p.Kind != synth.ICMPEcho || p.ID != 7 || p.Requests != 2 {
		t.Errorf("ping %+v", p)
	}
	if e := get("pmtu"); e.Kind != synth.ICMPError || e.Quote != "browse" || e.QuoteTo != "server" || e.Error != "frag-needed" ||
		e.Client.Addr != netip.MustParseAddr("203.0.113.1") {
		t.Errorf("pmtu %+v", e)
	}
	if g := get("gre"); g.Kind != synth.Other || g.Proto != 47 || !g.NoReply {
		t.Errorf("gre %+v", g)
	}
	sc := get("scripted")
	if sc.SrcPort != 5000 || len(sc.Script) != 2 || sc.Script[1].From != "server" || sc.Script[1].At != 31*time.Second || sc.Script[1].Bytes != 10 {
		t.Errorf("scripted %+v", sc)
	}
}

// TestChangesAreCheckedInTimeOrder checks that changes map onto sim.Change
// and are validated against the rules as earlier changes leave them.
func TestChangesAreCheckedInTimeOrder(t *testing.T) {
	s := mustParse(t, base+`network_acls: [{id: acl-x}]
changes:
  - {at: 20s, remove_sg_rule: {group: sg-web, direction: ingress, rule_id: ssh}}
  - {at: 10s, add_sg_rule: {group: sg-web, direction: ingress, rule: {rule_id: ssh, ip_protocol: tcp, ports: 22, cidr: 203.0.113.1/32}}}
  - {at: 10s, note: swap, replace_sg_rule: {group: sg-web, direction: ingress, rule_id: sg-web-in-1, rule: {ip_protocol: tcp, ports: 8080, cidr: 0.0.0.0/0}}}
  - {at: 30s, add_nacl_entry: {acl: acl-x, direction: egress, entry: {rule_number: 10, protocol: -1, cidr_block: 0.0.0.0/0, rule_action: allow}}}
  - {at: 31s, replace_nacl_entry: {acl: acl-x, direction: egress, entry: {rule_number: 10, protocol: -1, cidr_block: 0.0.0.0/0, rule_action: deny}}}
  - {at: 32s, remove_nacl_entry: {acl: acl-x, direction: egress, rule_number: 10}}
  - {at: 33s, associate_nacl: {subnet: public, acl: acl-x}}
  - {at: 34s, set_tracking: {host: web, tcp_established_timeout: 60s, icmp_timeout: 1m}}
`)
	var got []string
	for _, c := range s.Changes {
		got = append(got, packet.FormatSeconds(c.At)+" "+c.Change.Kind.String())
	}
	want := []string{"10s add_sg_rule", "10s replace_sg_rule", "20s remove_sg_rule", "30s add_nacl_entry",
		"31s replace_nacl_entry", "32s remove_nacl_entry", "33s associate_nacl", "34s set_tracking"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("changes %q, want %q", got, want)
	}
	c := s.Changes[1].Change
	if c.RuleID != "sg-web-in-1" || c.Rule.ID != "sg-web-in-1" || c.Rule.FromPort != 8080 || c.Note != "swap" || c.Origin.Line != 9 {
		t.Errorf("replace %+v", c)
	}
	e := s.Changes[4].Change
	if e.ACL != "acl-x" || e.Direction != firewall.Egress || !e.Entry.Egress || e.Entry.Action != firewall.Deny || e.Number != 10 {
		t.Errorf("replace entry %+v", e)
	}
	if tr := s.Changes[7].Change; tr.Interface != "web" || tr.Tracking.TCPEstablished != time.Minute || tr.Tracking.ICMP != time.Minute {
		t.Errorf("set_tracking %+v", tr)
	}
	if _, err := Parse("x.yaml", []byte(base+"changes:\n  - {at: 20s, add_sg_rule: {group: sg-web, direction: ingress, rule: {rule_id: sg-web-in-1, ip_protocol: tcp, ports: 22, cidr: 0.0.0.0/0}}}\n")); err == nil ||
		!strings.Contains(err.Error(), `already has a ingress rule "sg-web-in-1"`) {
		t.Errorf("adding an existing rule ID: %v", err)
	}
}

// TestAliasesAreFollowed checks that YAML anchors and aliases work (the
// tcp-idle-timeout scenario shares one script between three flows).
func TestAliasesAreFollowed(t *testing.T) {
	s := mustParse(t, base+`traffic:
  - {name: a, udp: {client: web, server: 192.0.2.1, dst_port: 53, script: &steps [{at: 0s}, {at: 1s, from: server}]}}
  - {name: b, udp: {client: web, server: 192.0.2.2, dst_port: 53, script: *steps}}
`)
	if !reflect.DeepEqual(s.Traffic[0].Script, s.Traffic[1].Script) || len(s.Traffic[1].Script) != 2 {
		t.Errorf("scripts %+v %+v", s.Traffic[0].Script, s.Traffic[1].Script)
	}
}

// TestExpectationsParse checks the three shapes of an expectation.
func TestExpectationsParse(t *testing.T) {
	s := mustParse(t, base+`traffic: [{name: f, tcp: {client: web, server: 192.0.2.1, dst_port: 80}}]
expect:
  - {flow: f, verdict: dropped, where: {filter: nacl, subnet: public, acl: acl-default, rule: "*", direction: outbound, reason: nacl_default_deny}, from_packet: 2, from_time: 1.5s, tracked: tracked, sessions: any}
  - {match: {proto: tcp, src: web, dst: 192.0.2.1, dst_port: 80}, verdict: allowed}
  - {host: web, counter: peak_entries, min: 1, max: 3, note: small}
`)
	e := s.Expectations
	if e[0].Flow != "f" || e[0].Where.Direction != "egress" || e[0].Where.Rule != "*" || e[0].FromPacket != 2 ||
		e[0].FromTime != 1500*time.Millisecond || !e[0].HasFromTime || !e[0].Any || e[0].Tracked != "tracked" {
		t.Errorf("flow expectation %+v %+v", e[0], e[0].Where)
	}
	if want := "f dropped at nacl public acl-default egress rule * (nacl_default_deny) from packet 2 from 1.5s, tracked"; e[0].Text != want {
		t.Errorf("text %q, want %q", e[0].Text, want)
	}
	m := e[1].Match
	if m == nil || m.Proto != 6 || len(m.Src) != 1 || m.Src[0] != netip.MustParseAddr("10.0.1.10") || m.DstPort != 80 {
		t.Errorf("match %+v", m)
	}
	if e[2].Host != "web" || e[2].Counter != "peak_entries" || e[2].Min != 1 || e[2].Max != 3 || e[2].Text != "web peak_entries in 1–3" {
		t.Errorf("counter %+v", e[2])
	}
}

// TestTCPStateTimeoutsParse checks the per-state TCP timeouts AWS does not
// document (SPEC.md §5.1: Linux's defaults, configurable here) in a host's
// conntrack mapping and in set_tracking; a key left out stays zero (the
// default).
func TestTCPStateTimeoutsParse(t *testing.T) {
	s := mustParse(t, `vpc: {id: v, cidrs: [10.0.0.0/16]}
subnets: [{id: s, cidr: 10.0.1.0/24}]
hosts:
  - name: web
    subnet: s
    addresses: [10.0.1.10]
    security_groups: []
    conntrack:
      tcp_syn_sent_timeout: 1s
      tcp_syn_recv_timeout: 2
      tcp_fin_wait_timeout: 3s
      tcp_close_wait_timeout: 4s
      tcp_last_ack_timeout: 5s
      tcp_time_wait_timeout: 1m
      tcp_close_timeout: 500ms
  - {name: db, subnet: s, addresses: [10.0.1.20], security_groups: [], conntrack: {tcp_time_wait_timeout: 7s}}
changes:
  - {at: 10s, set_tracking: {host: web, tcp_fin_wait_timeout: 9s, tcp_close_timeout: 2s}}
`)
	want := firewall.TrackingSpec{
		TCPSynSent: time.Second, TCPSynRecv: 2 * time.Second, TCPFinWait: 3 * time.Second,
		TCPCloseWait: 4 * time.Second, TCPLastAck: 5 * time.Second, TCPTimeWait: time.Minute,
		TCPClose: 500 * time.Millisecond,
	}
	if got := s.Inventory.Interfaces[0].Tracking; got != want {
		t.Errorf("web tracking %+v, want %+v", got, want)
	}
	if got, want := s.Inventory.Interfaces[1].Tracking, (firewall.TrackingSpec{TCPTimeWait: 7 * time.Second}); got != want {
		t.Errorf("db tracking %+v, want %+v", got, want)
	}
	if got, want := s.Changes[0].Change.Tracking, (firewall.TrackingSpec{TCPFinWait: 9 * time.Second, TCPClose: 2 * time.Second}); got != want {
		t.Errorf("set_tracking %+v, want %+v", got, want)
	}
	if _, err := s.Run(RunOptions{}); err != nil {
		t.Errorf("run: %v", err)
	}
}
