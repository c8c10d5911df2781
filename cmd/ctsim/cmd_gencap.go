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
	seed     uint64
	scenario string
}

func gencapCommand() *command {
	return &command{
		name:   "gencap",
		args:   "FILE",
		short:  "write a generated capture for timing replay (benchmarks)",
		hidden: true,
		long: `Writes a classic pcap (nanosecond, Ethernet) of --packets packets over --flows
flows: 3/4 TCP and 1/4 UDP, 1 in 8 over IPv6; flow i's client is 10.0.0.0/8 + i+1
(fd00::/64 + i+1), its server one of 4096 in 172.16.0.0/16 (fd01::/64), on ports
443, 80, 53 and 123; packets 1–20 µs apart. The same flags give the same bytes. Used to time the whole-process
replay, for example with hyperfine.`,
		example: `  ctsim gencap /tmp/big.pcap --packets 2000000 --flows 131072 --scenario /tmp/bench.yaml
  time ctsim replay /tmp/big.pcap --scenario /tmp/bench.yaml -o json > /dev/null`,
		flags: func(fs *pflag.FlagSet) any {
			o := &gencapOpts{}
			fs.IntVar(&o.packets, "packets", 1000000, "number of packets")
			fs.IntVar(&o.flows, "flows", 10000, "number of flows (at most 16777215)")
			fs.Uint64Var(&o.seed, "seed", 1, "random seed")
			fs.StringVar(&o.scenario, "scenario", "", "also write the scenario the capture meets to `FILE` (two SGs, two NACLs, every client and server an address of one ENI)")
			return o
		},
		run: func(e *env, opts any, args []string) error {
			o := opts.(*gencapOpts)
			if len(args) != 1 {
				return usageErrorf("gencap", "gencap takes one output FILE, got %d", len(args))
			}
			f, err := os.Create(args[0])
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(f, 1<<20)
			if err := pcap.GenerateCapture(bw, o.packets, o.flows, o.seed); err != nil {
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
				if err := os.WriteFile(o.scenario, benchScenario(o.flows), 0o644); err != nil {
					return err
				}
				fmt.Fprintf(e.stderr, "wrote %s: the scenario it meets\n", o.scenario)
			}
			return nil
		},
	}
}

// benchScenario returns the YAML of the scenario a capture written by
// pcap.GenerateCapture with the given number of flows meets (gencap
// --scenario): its clients (flow i's is 10.0.0.0/8 + i+1, fd00::/64 + i+1)
// are one ENI in subnet "clients", its servers (172.16.0.0/16 + 1…4096,
// fd01::/64 likewise) one ENI in subnet "servers". Every packet then
// crosses two security groups, each with its connection tracking, and two
// network ACLs — the whole path. About 8 % of the packets are dropped on
// purpose: IPv6 NTP and HTTP have no rule.
func benchScenario(flows int) []byte {
	var b bytes.Buffer
	b.WriteString(`name: gencap-bench
title: The network a generated capture meets (ctsim gencap --scenario)
story: |
  Every client of the capture is one ENI in subnet "clients", every server one
  ENI in subnet "servers": each packet crosses the client's security group
  (egress, tracked), the clients' network ACL (outbound), the servers' network
  ACL (inbound) and the server's security group (ingress, tracked). Rules allow
  HTTP, HTTPS, DNS and NTP over IPv4, and HTTPS and DNS over IPv6.
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
	b.WriteString("hosts:\n  - name: clients\n    subnet: clients\n    security_groups: [sg-clients]\n    addresses: [")
	for i := 0; i < flows; i++ {
		c := i + 1
		c2, c1, c0 := byte(c>>16), byte(c>>8), byte(c)
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s, %q", netip.AddrFrom4([4]byte{10, c2, c1, c0}), netip.AddrFrom16([16]byte{0: 0xfd, 13: c2, 14: c1, 15: c0}))
	}
	b.WriteString("]\n  - name: servers\n    subnet: servers\n    security_groups: [sg-servers]\n    addresses: [")
	for sv := 1; sv <= 4096 && sv <= flows; sv++ {
		s1, s0 := byte(sv>>8), byte(sv)
		if sv > 1 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s, %q", netip.AddrFrom4([4]byte{172, 16, s1, s0}), netip.AddrFrom16([16]byte{0: 0xfd, 1: 1, 14: s1, 15: s0}))
	}
	b.WriteString("]\n")
	return b.Bytes()
}
