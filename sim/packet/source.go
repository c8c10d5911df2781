package packet

// Source is a stream of packets in non-decreasing time order: a synthetic
// traffic generator or a capture reader. Next fills *p with the next packet
// and reports false at the end of the stream; a non-nil error ends the
// stream early (a truncated capture, say) after the packets already
// returned. Next must not allocate in steady state.
type Source interface {
	Next(p *Packet) (ok bool, err error)
}
