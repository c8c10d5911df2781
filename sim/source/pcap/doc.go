// Package pcap reads pcap and pcapng captures as a stream of packet.Packet
// values for the simulator to replay.
//
// # Use
//
//	r, err := pcap.Open("trace.pcapng", pcap.Options{Start: 10 * time.Second})
//	if err != nil { ... }        // unreadable header: *CaptureError, Frame 0
//	defer r.Close()
//	r.Map(captureAddr, scenarioAddr) // --map
//	var p packet.Packet
//	for {
//		ok, err := r.Next(&p)   // *Reader is a packet.Source
//		if !ok { ... }          // err != nil: the capture was not read whole
//		...                     // r.Raw() is p's record until the next Next
//	}
//	s := r.Stats()              // Read = Delivered + skipped, by reason
//	pcap.WriteFrames(w, "trace.pcapng", droppedFrames) // --write-dropped
//
// # Formats
//
// Classic pcap (microsecond and nanosecond timestamps, either byte order)
// and pcapng (several sections, several interfaces each with its own link
// type and timestamp resolution), optionally gzip-compressed, are read with
// gopacket's pcapgo (classic pcap records with the package's own thin
// reader, which unlike pcapgo reads a record whose captured length is over
// its original length, with warning caplen_over_origlen), one record at a
// time: memory stays bounded whatever the file size. No buffer is sized
// from a length in the file beyond MaxRecord (256 KiB), in pcap and pcapng
// alike: a record that captured more is passed over unread and skipped as
// oversized_record, and reading goes on; only a header whose length is
// absurd (over 16 MiB, or a packet that does not fit its pcapng block) ends
// the capture with a *CaptureError. As pcapgo keeps every interface of a
// pcapng section in memory, a section may declare at most 65 536 interfaces
// and 16 MiB of them; one more ends the capture with a *CaptureError.
//
// # Reading
//
// Open reads a regular, uncompressed classic pcap file in place: it maps
// the file into memory (mmap, on unix systems) in windows of 2 MiB, one at
// a time, and hands each record's bytes to the decoder where they lie,
// instead of copying the whole file through read(2). Only each record's
// header, and the frame headers the decoder reads, are looked at; the lines
// ahead of the reading position are touched a page ahead so that the CPU
// loads them in parallel rather than one record at a time. The resident
// set grows by one window at most, whatever the file size. Everything else
// (pcapng, gzip, pipes and standard input, NewReader on any io.Reader, and
// systems without mmap) is read through a 64 KiB buffer. Both ways give the
// same packets, frame numbers, Stats and errors (a test and the fuzz target
// compare them on every input).
//
// A file cut short by someone else while it is mapped makes the lost
// pages fault when read (SIGBUS). The reader recovers the fault
// (debug.SetPanicOnFault) and ends the capture as it would end a file that
// short: the packets before the cut, then a *CaptureError for
// io.ErrUnexpectedEOF, or a clean end if the cut fell between records.
// The page ahead touched for each record makes the fault come before a
// record that crosses the cut is returned; a cut inside the last page of
// the file, or one made between that touch and the read, can leave the
// rest of a page read as zeros. Such a cut never crashes the program.
//
// # Decoding
//
// A preallocated gopacket.DecodingLayerParser decodes every record in
// place (two, over one set of layers: one starts at a dispatch on the
// record's link type, the other at Ethernet, for the Ethernet frames that
// make most captures). The Ethernet, IPv4 and TCP headers are read by the
// package's own DecodingLayers, which keep only what the filters need and
// accept and refuse exactly what gopacket's do (fuzz targets compare them);
// the others are gopacket's. Link types: Ethernet (with 802.1Q, QinQ and MPLS), Linux SLL and
// SLL2, raw IP (101, and 228/229, which gopacket cannot decode), BSD
// null/loopback (0, 108). Network: IPv4, IPv6 with extension headers.
// Transport: TCP, UDP, SCTP, ICMP and ICMPv6; an ICMP error carries the flow
// it quotes in Packet.Inner. Every other IP protocol, tunnels included (GRE,
// IPv6-in-IPv4, IP-in-IP, ESP), is delivered as an "other protocol" packet
// of its outer IP header. Checksums are not verified: captures taken on the
// sending host carry offloaded, unfilled checksums.
//
// # Fragments
//
// The first fragment of a datagram carries the transport header, so it has
// ports (and TCP flags); later fragments have none and carry only
// Packet.Fragment (ID, offset, more-fragments). The rule the engine applies:
// a later fragment follows the verdict of the first fragment with the same
// (source, destination, protocol, ID); a later fragment whose first was
// never seen is reported as such. The reader does not reassemble.
//
// # Accounting and frame numbers
//
// Every packet record is counted: Stats.Read == Stats.Delivered + the
// skipped records, each with its reason. Frame numbers are Wireshark's:
// 1-based, counting every record, skipped or not. In pcapng the records are
// the packet blocks (EPB, SPB, OPB) and the custom blocks (types 0x00000BAD
// and 0x40000BAD), which Wireshark lists as records of their own: a custom
// block holds no packet, so it is read and skipped as custom_block, and the
// packets after it carry the frame numbers Wireshark shows. Other blocks
// (interfaces, statistics, name resolution, secrets) are not records. The
// skip reason tokens:
//
//	custom_block           a pcapng custom block (a record without a packet)
//	malformed_ip           bad IPv4/IPv6 header, or IP version not the one the link promised
//	malformed_link         bad link header (a loopback family over 255, …)
//	malformed_transport    bad TCP/UDP/ICMP/SCTP header (TCP data offset under 5, …)
//	mpls                   MPLS whose payload is not IP (pseudowire), or over 16 labels
//	not_ip                 no IP datagram (ARP, LLDP, IS-IS, slow protocols, PPPoE, …)
//	outside_window         before Options.Start or after Options.End
//	oversized_record       captured length over MaxRecord (256 KiB), header otherwise sane
//	truncated              cut by the snap length before the header the filters need
//	unsupported_link_type  a link type other than those listed under Decoding
//
// Warnings count oddities in records that were still read:
// caplen_over_origlen and caplen_over_snaplen (the captured bytes are read
// all the same, as libpcap and Wireshark do), link_type_fcs_bits,
// sll_bad_halen (a Linux SLL address length over 8: the header is 16 bytes
// whatever it says, so the datagram after it is decoded), tcp_header_cut (a
// TCP header cut after its flags byte: ports, sequence numbers and flags are
// all there) and timestamp_fraction_overflow (a pcap sub-second field of a
// second or more, carried into the seconds as pcapgo and Wireshark do).
//
// # Time
//
// Packet.At is the record's timestamp minus the first record's
// (capture-relative virtual time, as Wireshark's "seconds since first
// frame"). A packet.Source must not go back in time, so a timestamp earlier
// than the one before is clamped to it and counted in
// Stats.ReorderedTimestamps. A Simple Packet Block has no timestamp and
// takes the previous record's. Long gaps (years) are fine: times are int64
// nanoseconds.
//
// # Ownership and limits
//
// A Reader is used by one goroutine at a time and starts none. Raw's bytes
// belong to the Reader and change on the next Next; the engine reads one
// packet ahead of its verdicts, so to write out dropped packets use
// WriteFrames with their frame numbers, which re-reads the file. Memory is
// the 64 KiB read buffer or the 2 MiB mapped window, one record buffer (at
// most MaxRecord), the decoder's layers, the address map and pcapgo's
// interfaces of the current pcapng section (at most 65 536 and 16 MiB): it
// does not grow with the capture.
// GenerateCapture writes the synthetic captures the benchmarks replay.
//
// # Errors
//
// A truncated or corrupt file ends the stream with a *CaptureError naming
// the frame and byte offset, after all the good packets before it; its
// message ends "(capture not read whole)" and errors.Is(err,
// io.ErrUnexpectedEOF) holds for a file cut short. A record the decoder
// cannot use is never an error: it is skipped and counted.
package pcap
