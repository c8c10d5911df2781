package main

import (
	"bufio"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/ctsim/ctsim/firewall"
	"github.com/ctsim/ctsim/sim"
	"github.com/ctsim/ctsim/sim/source/pcap"
)

// benchInventory is the network a generated capture (pcap.GenerateCapture)
// meets: the clients (10.0.0.0/8, fd00::/64; flow i's client is base+i+1)
// are one ENI in subnet "clients", the servers (172.16.0.0/16, fd01::/64;
// 4096 of them) one ENI in subnet "servers", so every packet crosses two
// security groups (egress and ingress, each with its conntrack table) and
// two network ACLs (outbound, inbound) — the whole path of DESIGN.md.
func benchInventory(flows int) firewall.Inventory {
	all4 := netip.MustParsePrefix("0.0.0.0/0")
	all6 := netip.MustParsePrefix("::/0")
	clients4, clients6 := netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/64")
	servers4, servers6 := netip.MustParsePrefix("172.16.0.0/16"), netip.MustParsePrefix("fd01::/64")
	client := firewall.Interface{ID: "eni-clients", Name: "clients", Subnet: "clients", Groups: []string{"sg-clients"}}
	server := firewall.Interface{ID: "eni-servers", Name: "servers", Subnet: "servers", Groups: []string{"sg-servers"}}
	for i := 0; i < flows; i++ {
		c := i + 1
		c2, c1, c0 := byte(c>>16), byte(c>>8), byte(c)
		client.Addrs = append(client.Addrs, netip.AddrFrom4([4]byte{10, c2, c1, c0}), netip.AddrFrom16([16]byte{0: 0xfd, 13: c2, 14: c1, 15: c0}))
	}
	for sv := 1; sv <= 4096 && sv <= flows; sv++ {
		s1, s0 := byte(sv>>8), byte(sv)
		server.Addrs = append(server.Addrs, netip.AddrFrom4([4]byte{172, 16, s1, s0}), netip.AddrFrom16([16]byte{0: 0xfd, 1: 1, 14: s1, 15: s0}))
	}
	acl := func(id string) firewall.NetworkACL {
		n := firewall.NetworkACL{ID: id, VPC: "vpc-bench"}
		for _, eg := range []bool{false, true} {
			n.Entries = append(n.Entries,
				firewall.NACLEntry{Number: 90, Egress: eg, Protocol: 6, FromPort: 3306, ToPort: 3306, CIDR: all4, Action: firewall.Deny},
				firewall.NACLEntry{Number: 100, Egress: eg, Protocol: firewall.ProtoAll, CIDR: all4, Action: firewall.Allow},
				firewall.NACLEntry{Number: 101, Egress: eg, Protocol: firewall.ProtoAll, CIDR: all6, Action: firewall.Allow})
		}
		return n
	}
	return firewall.Inventory{
		VPCs: []firewall.VPC{{ID: "vpc-bench", CIDRs: []netip.Prefix{clients4, servers4, netip.MustParsePrefix("fd00::/8")}}},
		Subnets: []firewall.Subnet{
			{ID: "clients", VPC: "vpc-bench", CIDR: clients4, IPv6CIDR: clients6, NACL: "acl-clients"},
			{ID: "servers", VPC: "vpc-bench", CIDR: servers4, IPv6CIDR: servers6, NACL: "acl-servers"},
		},
		SecurityGroups: []firewall.SecurityGroup{
			{ID: "sg-clients", VPC: "vpc-bench", Egress: []firewall.SGRule{
				{Protocol: 6, FromPort: 80, ToPort: 80, CIDR: servers4},
				{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: servers4},
				{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: servers6},
				{Protocol: 6, FromPort: 80, ToPort: 80, CIDR: servers6},
				{Protocol: 17, FromPort: 53, ToPort: 53, CIDR: all4},
				{Protocol: 17, FromPort: 123, ToPort: 123, CIDR: all4},
				{Protocol: 17, FromPort: 53, ToPort: 53, CIDR: all6},
			}},
			{ID: "sg-servers", VPC: "vpc-bench", Ingress: []firewall.SGRule{
				{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: clients4},
				{Protocol: 6, FromPort: 80, ToPort: 80, CIDR: clients4},
				{Protocol: 6, FromPort: 443, ToPort: 443, CIDR: clients6},
				{Protocol: 17, FromPort: 53, ToPort: 53, CIDR: clients4},
				{Protocol: 17, FromPort: 123, ToPort: 123, CIDR: clients4},
			}, Egress: []firewall.SGRule{{Protocol: 6, FromPort: 1024, ToPort: 65535, CIDR: all4}}},
		},
		NetworkACLs: []firewall.NetworkACL{acl("acl-clients"), acl("acl-servers")},
		Interfaces:  []firewall.Interface{client, server},
	}
}

// BenchmarkReplay replays a generated capture of 2 M packets over 131,072
// flows end to end — pcap reading and decoding,
// then the whole path through two security groups with conntrack and two
// network ACLs — and reports packets/s and allocations per packet (issue 4:
// ≥ 2 M packets/s, 0 allocs/packet in steady state). With -short, 200 k
// packets.
func BenchmarkReplay(b *testing.B) {
	const flows = 1 << 17
	n := 2_000_000
	if testing.Short() {
		n = 200_000
	}
	path := filepath.Join(b.TempDir(), "bench.pcap")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := pcap.GenerateCapture(bw, n, flows, 1); err != nil {
		b.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	inv := benchInventory(flows)
	var res *sim.Result
	var ms0, ms1 runtime.MemStats
	b.ResetTimer()
	runtime.ReadMemStats(&ms0)
	for b.Loop() {
		rd, err := pcap.Open(path, pcap.Options{})
		if err != nil {
			b.Fatal(err)
		}
		eng, err := sim.New(inv, sim.Options{Replay: true})
		if err != nil {
			b.Fatal(err)
		}
		readErr, _, err := replayLoop(rd, eng, nil, nil)
		if err != nil || readErr != nil {
			b.Fatal(err, readErr)
		}
		rd.Close()
		res = eng.Result()
	}
	runtime.ReadMemStats(&ms1)
	b.StopTimer()
	if res.Summary.Read != uint64(n) {
		b.Fatalf("engine read %d packets, want %d", res.Summary.Read, n)
	}
	perOp := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(n)/perOp, "packets/s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(b.N)/float64(n), "allocs/packet")
	b.ReportMetric(float64(len(res.Flows)), "flows")
	b.ReportMetric(float64(res.Summary.Dropped)/float64(n)*100, "%dropped")
}
