package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"os"

	"github.com/spf13/pflag"

	"github.com/ctsim/ctsim/sim/source/pcap"
)

type gencapOpts struct {
	packets  int
	flows    int
	clients  int
	servers  int
	seed     uint64
	scenario string
}

// Default address plan of gencap: a few client and server hosts carrying
// many flows each, as on a real network.
const (
	gencapClients = 64
	gencapServers = 16
	// gencapAddrsPerENI is how many addresses (per family) each generated
	// ENI carries: its primary and secondary private IPs.
	gencapAddrsPerENI = 8
)

func gencapCommand() *command {
	return &command{
		name:   "gencap",
		args:   "FILE",
		short:  "write a generated capture for timing replay (benchmarks)",
		hidden: true,
		long: `Writes a classic pcap (nanosecond, Ethernet) of --packets packets over --flows
flows: 3/4 TCP and 1/4 UDP, 1 in 8 over IPv6; packets pick a flow at random
and are 1–20 µs apart. Flow i's client is address i % --clients of
10.0.0.0/8 (fd00::/64), from port 32768 + i / --clients; its server address
i % --servers of 172.16.0.0/16 (fd01::/64), on port 443, 80, 53 or 123.
--clients 0 gives every flow its own client address (and a random port).
The same flags give the same bytes. Used to time the whole-process replay,
for example with hyperfine.

--scenario also writes the network the capture meets: the client addresses
on ENIs of 8 addresses each in subnet "clients", the servers likewise in
subnet "servers", so that every packet crosses two security groups (each
with connection tracking) and two network ACLs.`,
		example: `  ctsim gencap /tmp/big.pcap --packets 2000000 --flows 131072 --scenario /tmp/bench.yaml
  time ctsim replay /tmp/big.pcap --scenario /tmp/bench.yaml -o csv > /dev/null`,
		flags: func(fs *pflag.FlagSet) any {
			o := &gencapOpts{}
			fs.IntVar(&o.packets, "packets", 1000000, "number of packets")
			fs.IntVar(&o.flows, "flows", 10000, "number of flows (at most 16777215)")
			fs.IntVar(&o.clients, "clients", gencapClients, "number of client addresses per family (0: one per flow)")
			fs.IntVar(&o.servers, "servers", gencapServers, "number of server addresses per family")
			fs.Uint64Var(&o.seed, "seed", 1, "random seed")
			fs.StringVar(&o.scenario, "scenario", "", "also write the scenario the capture meets to `FILE` (client and server ENIs in two subnets: two SGs, two NACLs)")
			return o
		},
		run: func(e *env, opts any, args []string) error {
			o := opts.(*gencapOpts)
			if len(args) != 1 {
				return usageErrorf("gencap", "gencap takes one output FILE, got %d", len(args))
			}
			if o.servers <= 0 {
				return usageErrorf("gencap", "--servers %d: want at least 1", o.servers)
			}
			f, err := os.Create(args[0])
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(f, 1<<20)
			gopt := pcap.GenOptions{Clients: o.clients, Servers: o.servers}
			if err := pcap.GenerateCaptureOpts(bw, o.packets, o.flows, o.seed, gopt); err != nil {
				f.Close()
				os.Remove(args[0])
				return &exitError{code: exitBadInput, err: err}
			}
			if err := bw.Flush(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			fmt.Fprintf(e.stderr, "wrote %s: %d packets, %d flows, seed %d\n", args[0], o.packets, o.flows, o.seed)
			if o.scenario != "" {
				if err := os.WriteFile(o.scenario, benchScenario(o.flows, o.clients, o.servers), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "wrote %s: the scenario it meets\n", o.scenario)
			}
			return nil
		},
	}
}

// benchScenario returns the YAML of the scenario a capture written by
// pcap.GenerateCaptureOpts with the given flows, clients and servers
// meets (gencap --scenario). Its client addresses (10.0.0.0/8 + 1…,
// fd00::/64 likewise; one per flow when clients is 0) are spread over ENIs
// of gencapAddrsPerENI addresses each in subnet "clients", its servers
// (172.16.0.0/16 + 1…, fd01::/64) likewise in subnet "servers". Every
// packet then crosses two security groups, each with its connection
// tracking, and two network ACLs — the whole path. About 6 % of the
// packets are dropped on purpose: IPv6 NTP and HTTP have no rule.
func benchScenario(flows, clients, servers int) []byte {
	var b bytes.Buffer
	b.WriteString(`name: gencap-bench
title: The network a generated capture meets (ctsim gencap --scenario)
story: |
  The capture's clients are ENIs in subnet "clients", its servers ENIs in
  subnet "servers", each ENI with a few private addresses: each packet
  crosses the client's security group (egress, tracked), the clients'
  network ACL (outbound), the servers' network ACL (inbound) and the
  server's security group (ingress, tracked). Rules allow HTTP, HTTPS, DNS
  and NTP over IPv4, and HTTPS and DNS over IPv6.
vpc: { id: vpc-bench, cidrs: [10.0.0.0/8, 172.16.0.0/16, "fd00::/8"] }
subnets:
  - { id: clients, cidr: 10.0.0.0/8, ipv6_cidr: "fd00::/64", nacl: acl-clients }
  - { id: servers, cidr: 172.16.0.0/16, ipv6_cidr: "fd01::/64", nacl: acl-servers }
security_groups:
  - id: sg-clients
    egress:
      - { ip_protocol: tcp, ports: 80, cidr: 172.16.0.0/16 }
      - { ip_protocol: tcp, ports: 443, cidr: 172.16.0.0/16 }
      - { ip_protocol: udp, ports: 53, cidr: 172.16.0.0/16 }
      - { ip_protocol: udp, ports: 123, cidr: 172.16.0.0/16 }
      - { ip_protocol: tcp, ports: 443, cidr: "fd01::/64" }
      - { ip_protocol: udp, ports: 53, cidr: "fd01::/64" }
  - id: sg-servers
    ingress:
      - { ip_protocol: tcp, ports: 80, cidr: 10.0.0.0/8 }
      - { ip_protocol: tcp, ports: 443, cidr: 10.0.0.0/8 }
      - { ip_protocol: udp, ports: 53, cidr: 10.0.0.0/8 }
      - { ip_protocol: udp, ports: 123, cidr: 10.0.0.0/8 }
      - { ip_protocol: tcp, ports: 443, cidr: "fd00::/64" }
      - { ip_protocol: udp, ports: 53, cidr: "fd00::/64" }
network_acls:
`)
	for _, id := range []string{"acl-clients", "acl-servers"} {
		fmt.Fprintf(&b, "  - id: %s\n", id)
		for _, dir := range []string{"ingress", "egress"} {
			fmt.Fprintf(&b, "    %s:\n", dir)
			b.WriteString("      - { rule_number: 90, protocol: tcp, port_range: 3306, cidr_block: 0.0.0.0/0, rule_action: deny }\n")
			b.WriteString("      - { rule_number: 100, protocol: \"-1\", cidr_block: 0.0.0.0/0, rule_action: allow }\n")
			b.WriteString("      - { rule_number: 101, protocol: \"-1\", ipv6_cidr_block: \"::/0\", rule_action: allow }\n")
		}
	}
	if clients <= 0 || clients > flows {
		clients = flows
	}
	servers = min(servers, flows)
	b.WriteString("hosts:\n")
	writeENIs(&b, "client", "clients", "sg-clients", clients, func(c int) (netip.Addr, netip.Addr) {
		c2, c1, c0 := byte(c>>16), byte(c>>8), byte(c)
		return netip.AddrFrom4([4]byte{10, c2, c1, c0}), netip.AddrFrom16([16]byte{0: 0xfd, 13: c2, 14: c1, 15: c0})
	})
	writeENIs(&b, "server", "servers", "sg-servers", servers, func(sv int) (netip.Addr, netip.Addr) {
		s1, s0 := byte(sv>>8), byte(sv)
		return netip.AddrFrom4([4]byte{172, 16, s1, s0}), netip.AddrFrom16([16]byte{0: 0xfd, 1: 1, 14: s1, 15: s0})
	})
	return b.Bytes()
}

// writeENIs writes hosts name-1, name-2, … in subnet with group sg,
// carrying the addresses addr(1)…addr(n), gencapAddrsPerENI of each family
// per host.
func writeENIs(b *bytes.Buffer, name, subnet, sg string, n int, addr func(int) (netip.Addr, netip.Addr)) {
	for first := 1; first <= n; first += gencapAddrsPerENI {
		fmt.Fprintf(b, "  - name: %s-%d\n    subnet: %s\n    security_groups: [%s]\n    addresses: [",
			name, (first-1)/gencapAddrsPerENI+1, subnet, sg)
		for i := first; i < first+gencapAddrsPerENI && i <= n; i++ {
			if i > first {
				b.WriteString(", ")
			}
			a4, a6 := addr(i)
			fmt.Fprintf(b, "%s, %q", a4, a6)
		}
		b.WriteString("]\n")
	}
}
