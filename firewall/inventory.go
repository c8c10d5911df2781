package firewall

import (
	"net/netip"
	"time"
)

// Inventory is the plain description of the AWS objects that filtering
// depends on: VPCs, subnets, security groups, network ACLs, network
// interfaces and managed prefix lists. Importers (scenario YAML, AWS CLI
// JSON, Terraform plans) produce it; sim builds a network from it.
//
// Inventory is data, not a model: nothing in it is validated until it is
// compiled. IDs are the AWS IDs where known ("sg-0abc…", "acl-…") or names
// chosen by the author of a scenario.
type Inventory struct {
	VPCs           []VPC
	Subnets        []Subnet
	SecurityGroups []SecurityGroup
	NetworkACLs    []NetworkACL
	Interfaces     []Interface
	PrefixLists    []PrefixList
}

// Origin names where an object was read, for error messages: a file and a
// line ("net.yaml:14:3", "aws/describe-security-groups.json:120:9"). The
// zero Origin prints as "" and is allowed for objects built in code.
type Origin struct {
	File      string
	Line, Col int
}

// String formats o as "file:line:col", "file:line", "file", or "".
func (o Origin) String() string {
	switch {
	case o.File == "":
		return ""
	case o.Line == 0:
		return o.File
	case o.Col == 0:
		return o.File + ":" + itoa(o.Line)
	}
	return o.File + ":" + itoa(o.Line) + ":" + itoa(o.Col)
}

// VPC is a virtual private cloud: its CIDR blocks (the first IPv4 block is
// the primary one, whose base+2 is the Route 53 Resolver, SPEC.md §1.5).
type VPC struct {
	ID     string
	Name   string
	CIDRs  []netip.Prefix
	Origin Origin
}

// Subnet is a subnet of a VPC and the network ACL associated with it. An
// empty NACL means the VPC's default network ACL (SPEC.md §3.1).
type Subnet struct {
	ID       string
	Name     string
	VPC      string
	CIDR     netip.Prefix
	IPv6CIDR netip.Prefix // zero if the subnet has no IPv6 block
	NACL     string
	Origin   Origin
}

// Interface is a network interface (ENI) or a host: its addresses, its subnet
// and its security groups. An interface with an empty Subnet is a host
// outside the VPC (the internet, an on-premises network): it has no filter of
// its own (DESIGN.md, "The way a packet travels").
type Interface struct {
	ID     string
	Name   string
	Subnet string
	// Addrs are the interface's private addresses (IPv4 and IPv6). The
	// first IPv4 address is the primary one.
	Addrs []netip.Addr
	// PublicAddrs are addresses the interface is reached by from outside
	// through an internet gateway's 1:1 NAT (SPEC.md §6); filters see the
	// private address.
	PublicAddrs []netip.Addr
	Groups      []string
	// InstanceType is the EC2 instance type or profile ("m5.large",
	// "nitro-v6"); it selects defaults such as the TCP established timeout.
	InstanceType string
	// Tracking holds the ENI's ConnectionTrackingSpecification; zero
	// fields mean "AWS default" (SPEC.md §2.4).
	Tracking TrackingSpec
	// Service names an AWS service whose flows are automatically tracked
	// when they pass through this interface ("nat-gateway",
	// "network-load-balancer", …; SPEC.md §2.3). Empty for instances.
	Service string
	// OS is the host's operating-system profile ("linux", "windows-xp",
	// …; see packet.EphemeralRange). Not an AWS attribute: it picks client
	// source ports and explains ephemeral-port drops.
	OS     string
	Origin Origin
}

// TrackingSpec is an ENI's connection tracking configuration
// (ConnectionTrackingSpecification, SPEC.md §2.4), plus the timeouts AWS
// does not document, which the simulator lets a scenario set. A zero field
// means the default: AWS's for the instance type, or Linux's where AWS
// documents none (SPEC.md §5.1).
type TrackingSpec struct {
	// TCPEstablished is AWS TcpEstablishedTimeout (60–432000 s).
	TCPEstablished time.Duration
	// UDP is AWS UdpTimeout (30–60 s).
	UDP time.Duration
	// UDPStream is AWS UdpStreamTimeout (60–180 s).
	UDPStream time.Duration
	// ICMP is the idle timeout of ICMP entries. It is NOT an AWS
	// attribute: AWS documents no ICMP timeout and offers no setting (SPEC.md
	// §2.4); the simulator assumes Linux's icmp_timeout, 30 s (SPEC.md
	// §5.1), and this field lets a scenario try another value (any
	// positive duration).
	ICMP time.Duration

	// The per-state TCP timeouts below are NOT AWS settings: AWS does not
	// document these; default = Linux's (SPEC.md §5.1). Each lets a
	// scenario try another value (any positive duration); zero keeps the
	// default.

	// TCPSynSent is the idle timeout of SYN_SENT (and SYN_SENT2) entries;
	// not an AWS setting: AWS does not document it; default = Linux's
	// tcp_timeout_syn_sent, 120 s (SPEC.md §5.1).
	TCPSynSent time.Duration
	// TCPSynRecv is the idle timeout of SYN_RECV entries; not an AWS
	// setting: AWS does not document it; default = Linux's
	// tcp_timeout_syn_recv, 60 s (SPEC.md §5.1).
	TCPSynRecv time.Duration
	// TCPFinWait is the idle timeout of FIN_WAIT entries; not an AWS
	// setting: AWS does not document it; default = Linux's
	// tcp_timeout_fin_wait, 120 s (SPEC.md §5.1).
	TCPFinWait time.Duration
	// TCPCloseWait is the idle timeout of CLOSE_WAIT entries; not an AWS
	// setting: AWS does not document it; default = Linux's
	// tcp_timeout_close_wait, 60 s (SPEC.md §5.1).
	TCPCloseWait time.Duration
	// TCPLastAck is the idle timeout of LAST_ACK entries; not an AWS
	// setting: AWS does not document it; default = Linux's
	// tcp_timeout_last_ack, 30 s (SPEC.md §5.1).
	TCPLastAck time.Duration
	// TCPTimeWait is the idle timeout of TIME_WAIT entries; not an AWS
	// setting: AWS does not document it; default = Linux's
	// tcp_timeout_time_wait, 120 s (SPEC.md §5.1).
	TCPTimeWait time.Duration
	// TCPClose is the idle timeout of CLOSE entries (after a RST); not an
	// AWS setting: AWS does not document it; default = Linux's
	// tcp_timeout_close, 10 s (SPEC.md §5.1).
	TCPClose time.Duration
}

// PrefixList is a managed prefix list. MaxEntries is what a reference to it
// counts against a security group's rule quota (SPEC.md §1.2); 0 means
// len(CIDRs).
type PrefixList struct {
	ID         string
	Name       string
	MaxEntries int
	CIDRs      []netip.Prefix
	Origin     Origin
}

// Protocol is an IP protocol number as AWS rules carry it; ProtoAll (-1)
// means every protocol.
type Protocol int16

// ProtoAll is AWS's "-1": all protocols.
const ProtoAll Protocol = -1

// SecurityGroup is a security group: allow-only ingress and egress rules
// (SPEC.md §1).
type SecurityGroup struct {
	ID          string
	Name        string
	VPC         string
	Description string
	// IsDefault marks a VPC's "default" security group.
	IsDefault bool
	Ingress   []SGRule
	Egress    []SGRule
	Origin    Origin
}

// SGRule is one security group rule with exactly one peer: a CIDR, a
// referenced group or a prefix list. (AWS's IpPermission may carry several
// peers; importers split it into one SGRule per peer, all with the same
// ID if AWS gave none per peer.)
//
// FromPort/ToPort follow IpPermission (SPEC.md §1.1): a TCP/UDP port range;
// for ICMP/ICMPv6 the type and the code, -1 meaning all. For ProtoAll and
// protocol numbers other than tcp, udp, icmp and icmpv6 they are ignored.
// An icmpv6 rule given without a port range means all types and codes: an
// importer must store it as -1/-1 (0/0 is type 0 code 0).
//
// A rule with an empty ID gets "<group-id>-in-<n>" or "<group-id>-out-<n>"
// (n counting from 1) when compiled.
type SGRule struct {
	ID          string
	Protocol    Protocol
	FromPort    int32
	ToPort      int32
	CIDR        netip.Prefix // zero unless the peer is a CIDR
	Group       string       // referenced security group ID, or ""
	PrefixList  string       // managed prefix list ID, or ""
	Description string
	Origin      Origin
}

// Action is what a filter does with a packet.
type Action uint8

const (
	// noVerdict is the "not decided yet" value of a path step that passes a
	// packet on; it never leaves a Verdict returned to callers.
	noVerdict Action = iota
	// Allow lets the packet pass this filter.
	Allow
	// Deny drops the packet.
	Deny
)

// String returns "allow", "deny" or "none".
func (a Action) String() string {
	switch a {
	case Allow:
		return "allow"
	case Deny:
		return "deny"
	}
	return "none"
}

// NetworkACL is a network ACL: numbered inbound and outbound entries
// (SPEC.md §3). The "*" default-deny entries (32767 IPv4, 32768 IPv6) are
// implicit: compiling adds them, and an importer that reads them from AWS may
// pass them or leave them out.
type NetworkACL struct {
	ID        string
	Name      string
	VPC       string
	IsDefault bool
	Entries   []NACLEntry
	Origin    Origin
}

// NACLEntry is one network ACL rule (CreateNetworkAclEntry, SPEC.md §3.2).
// FromPort/ToPort are the port range for TCP and UDP (both zero when
// unset); ICMPType/ICMPCode the type and code for ICMP (-1 = all).
type NACLEntry struct {
	Number   int32
	Egress   bool
	Protocol Protocol
	FromPort int32
	ToPort   int32
	ICMPType int32
	ICMPCode int32
	CIDR     netip.Prefix
	Action   Action
	Origin   Origin
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	neg := n < 0
	if neg {
		n = -n
	}
	var b [20]byte
	i := len(b)
	for n > 0 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	if neg {
		i--
		b[i] = '-'
	}
	return string(b[i:])
}
