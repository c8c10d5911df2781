package synth

import (
	"time"

	"github.com/ctsim/ctsim/sim/packet"
)

// Defaults for zero-valued Flow fields.
const (
	DefaultRTT   = 10 * time.Millisecond
	DefaultThink = time.Second
	DefaultEvery = time.Second
)

// defaultBytes returns the default request and response payloads of a
// kind (see Flow).
func defaultBytes(k Kind) (req, resp int) {
	switch k {
	case TCP:
		return 100, 1000
	case UDP:
		return 64, 128
	case ICMPEcho:
		return 56, 56
	}
	return 100, 100
}

// params are a flow's fields with defaults applied.
type params struct {
	count, exchanges, requests int
	reqBytes, respBytes        int
	rtt, think, idle, every    time.Duration
	keepalive                  time.Duration
	close                      string
	ipHdr, mss                 int
}

func (f *Flow) params() params {
	p := params{
		count: f.Count, exchanges: f.Exchanges, requests: f.Requests,
		reqBytes: f.RequestBytes, respBytes: f.ResponseBytes,
		rtt: f.RTT, think: f.Think, idle: f.Idle, every: f.Every,
		keepalive: f.Keepalive, close: f.Close,
		ipHdr: 20, mss: f.mss(),
	}
	if f.is6() {
		p.ipHdr = 40
	}
	dq, dr := defaultBytes(f.Kind)
	p.count = or(p.count, 1)
	p.exchanges = or(p.exchanges, 1)
	p.requests = or(p.requests, 1)
	p.reqBytes = or(p.reqBytes, dq)
	p.respBytes = or(p.respBytes, dr)
	if f.Kind == ICMPEcho {
		p.respBytes = p.reqBytes
	}
	p.rtt = or(p.rtt, DefaultRTT)
	p.think = or(p.think, DefaultThink)
	p.every = or(p.every, DefaultEvery)
	p.close = or(p.close, CloseFIN)
	return p
}

func or[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// layout lays out every session of every flow, in flow order, drawing the
// seeded numbers (Poisson gaps, initial sequence numbers) in that order.
// Addresses and ports are filled in later.
func (b *builder) layout() error {
	b.first = make([]int, len(b.flows))
	for fi := range b.flows {
		f := &b.flows[fi]
		p := f.params()
		b.first[fi] = len(b.sessions)
		start := f.Start
		for si := 0; si < p.count; si++ {
			if si > 0 {
				gap := p.every
				if f.Poisson {
					// The float is below 2^62 before it is converted, so
					// the conversion is exact enough and cannot overflow.
					gap = time.Duration(min(b.rng.ExpFloat64()*float64(p.every), float64(maxStart)))
				}
				start += gap
				if start >= maxStart || start < 0 {
					return f.errorf("count", "session %d starts at %s, too far in the future (count %d, every %s)", si+1, start, p.count, p.every)
				}
			}
			if b.plan {
				b.until = append(b.until, 0)
			}
			b.sessions = append(b.sessions, session{
				flow: fi, idx: si, start: packet.Time(start), first: len(b.items),
				client: f.Client.Addr.Unmap(), peer: f.Server.Addr.Unmap(),
				sport: f.SrcPort, dport: f.DstPort,
			})
			if f.Kind == ICMPEcho {
				b.sessions[len(b.sessions)-1].sport = f.ID
			}
			t0 := packet.Time(start)
			switch {
			case len(f.Script) > 0:
				b.script(f, &p, t0)
			case f.Kind == TCP:
				b.tcp(f, &p, t0)
			case f.Kind == ICMPError:
				b.icmpError(f, &p, t0)
			default:
				b.requests(f, &p, t0)
			}
			if b.err != nil {
				return b.err
			}
			s := &b.sessions[len(b.sessions)-1]
			if b.plan {
				s.end = max(s.end, s.start)
				continue
			}
			s.n = len(b.items) - s.first
			s.end = s.start
			for _, it := range b.items[s.first:] {
				s.end = max(s.end, it.At)
			}
		}
	}
	return nil
}

// checkTime records an error once a session's time passes maxStart. Every
// duration is at most maxDuration and each step adds at most a few, so
// checking after each exchange keeps time far from overflowing.
func (b *builder) checkTime(t packet.Time) {
	if t > packet.Time(maxStart) && b.err == nil {
		s := &b.sessions[len(b.sessions)-1]
		f := &b.flows[s.flow]
		b.err = f.errorf("start", "session %d runs past %s: too far in the future", s.idx+1, maxStart)
	}
}

// tcpEnd is one side of a TCP session: its next sequence number.
type tcpEnd struct{ nxt uint32 }

// tcpConn is the sequence state of a TCP session being laid out.
type tcpConn struct {
	b      *builder
	p      *params
	client tcpEnd
	server tcpEnd
}

// send emits one segment from the client (back=false) or the server,
// advancing the sender's sequence number by the payload and by one for
// SYN and FIN.
func (c *tcpConn) send(at packet.Time, back bool, flags packet.TCPFlags, bytes int) {
	from, to := &c.client, &c.server
	if back {
		from, to = to, from
	}
	pk := c.b.emit(at, back)
	pk.Flags = flags
	pk.Seq = from.nxt
	if flags.Has(packet.ACK) {
		pk.Ack = to.nxt
	}
	pk.Length = uint32(c.p.ipHdr + 20 + bytes)
	from.nxt += uint32(bytes)
	if flags.Has(packet.SYN) {
		from.nxt++
	}
	if flags.Has(packet.FIN) {
		from.nxt++
	}
}

// data sends bytes as MSS-sized segments at one instant: "." for all but
// the last, which is "P.".
func (c *tcpConn) data(at packet.Time, back bool, bytes int) {
	for bytes > c.p.mss && c.b.err == nil {
		c.send(at, back, packet.ACK, c.p.mss)
		bytes -= c.p.mss
	}
	c.send(at, back, packet.PSH|packet.ACK, bytes)
}

// keepalive sends a client keepalive probe (sequence number one below the
// next, no payload, as Linux does) and the server's ACK RTT later.
func (c *tcpConn) keepalive(at packet.Time) {
	pk := c.b.emit(at, false)
	pk.Flags = packet.ACK
	pk.Seq = c.client.nxt - 1
	pk.Ack = c.server.nxt
	pk.Length = uint32(c.p.ipHdr + 20)
	c.send(at.Add(c.p.rtt), true, packet.ACK, 0)
}

// tcp lays out a generated TCP session: handshake, exchanges (the last
// after Idle, with keepalives), and the close.
func (b *builder) tcp(f *Flow, p *params, t packet.Time) {
	c := tcpConn{b: b, p: p, client: tcpEnd{b.rng.Uint32()}, server: tcpEnd{b.rng.Uint32()}}
	rtt := p.rtt
	c.send(t, false, packet.SYN, 0)
	if f.NoReply {
		return
	}
	c.send(t.Add(rtt), true, packet.SYN|packet.ACK, 0)
	t = t.Add(2 * rtt)
	c.send(t, false, packet.ACK, 0)
	for k := 0; k < p.exchanges && b.err == nil; k++ {
		last := k == p.exchanges-1
		switch {
		case last && p.idle > 0:
			if p.keepalive > 0 {
				for ka := t.Add(p.keepalive); ka < t.Add(p.idle) && b.err == nil; ka = ka.Add(p.keepalive) {
					c.keepalive(ka)
				}
			}
			t = t.Add(p.idle)
		case k > 0:
			t = t.Add(p.think)
		}
		b.checkTime(t)
		c.data(t, false, p.reqBytes)
		c.data(t.Add(rtt), true, p.respBytes)
		t = t.Add(2 * rtt)
		if !last {
			c.send(t, false, packet.ACK, 0)
			continue
		}
		switch p.close {
		case CloseFIN:
			c.send(t, false, packet.FIN|packet.ACK, 0)
			c.send(t.Add(rtt), true, packet.FIN|packet.ACK, 0)
			c.send(t.Add(2*rtt), false, packet.ACK, 0)
		case CloseRST:
			c.send(t, false, packet.RST|packet.ACK, 0)
		default:
			c.send(t, false, packet.ACK, 0)
		}
	}
}

// transportHeader returns the transport header size of f's packets.
func (f *Flow) transportHeader() int {
	switch f.Kind {
	case TCP:
		return 20
	case UDP, ICMPEcho, ICMPError:
		return 8
	}
	switch f.Proto {
	case packet.ProtoGRE:
		return 4
	case packet.ProtoESP:
		return 8
	case packet.ProtoSCTP:
		return 12
	}
	return 0
}

// datagram emits one UDP, ICMP echo or other-protocol packet; seq is the
// echo sequence number.
func (b *builder) datagram(f *Flow, p *params, at packet.Time, back bool, bytes int, seq uint32) {
	pk := b.emit(at, back)
	pk.Length = uint32(p.ipHdr + f.transportHeader() + bytes)
	if f.Kind == ICMPEcho {
		pk.Seq = seq
		switch {
		case f.is6() && back:
			pk.ICMPType = 129
		case f.is6():
			pk.ICMPType = 128
		case !back:
			pk.ICMPType = 8
		}
	}
}

// requests lays out a UDP, ICMP echo or other-protocol session: Requests
// requests, each answered RTT later unless NoReply, Think apart (Idle
// before the last).
func (b *builder) requests(f *Flow, p *params, t packet.Time) {
	for k := 0; k < p.requests && b.err == nil; k++ {
		if k > 0 {
			if k == p.requests-1 && p.idle > 0 {
				t = t.Add(p.idle)
			} else {
				t = t.Add(p.think)
			}
			b.checkTime(t)
		}
		b.datagram(f, p, t, false, p.reqBytes, uint32(k+1))
		if !f.NoReply {
			t = t.Add(p.rtt)
			b.datagram(f, p, t, true, p.respBytes, uint32(k+1))
		}
	}
}

// icmpError lays out one ICMP error; its destination and quoted tuple are
// filled in once the quoted flow's ports are known.
func (b *builder) icmpError(f *Flow, p *params, t packet.Time) {
	pk := b.emit(t, false)
	typ, code := f.ICMPType, f.ICMPCode
	name := f.Error
	if name == "" && typ == 0 {
		name = "frag-needed"
	}
	if name != "" {
		typ, code, _ = ICMPErrorCode(name, f.is6())
	}
	pk.ICMPType, pk.ICMPCode = typ, code
	// The error carries the offending packet's IP header and the first 8
	// bytes of its payload (RFC 792; ICMPv6 carries more, kept minimal).
	pk.Length = uint32(2 * (p.ipHdr + 8))
}

// script lays out the steps of a scripted session.
func (b *builder) script(f *Flow, p *params, t packet.Time) {
	c := tcpConn{b: b, p: p}
	if f.Kind == TCP {
		c.client.nxt, c.server.nxt = b.rng.Uint32(), b.rng.Uint32()
	}
	var seq uint32
	for _, s := range f.Script {
		at := t.Add(s.At)
		back := s.From == FromServer
		switch f.Kind {
		case TCP:
			c.send(at, back, s.Flags, s.Bytes)
		default:
			if !back {
				seq++
			}
			b.datagram(f, p, at, back, s.Bytes, seq)
		}
	}
}
