//go:build unix

package pcap

import (
	"os"
	"syscall"
)

// mmapSupported reports whether Open maps classic pcap files.
const mmapSupported = true

// fileWindows maps windows of a regular file read-only with mmap(2).
type fileWindows struct {
	f    *os.File
	page int64
}

func (w *fileWindows) size() (int64, error) {
	fi, err := w.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

func (w *fileWindows) window(off int64, n int) ([]byte, error) {
	b, err := syscall.Mmap(int(w.f.Fd()), off, n, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, os.NewSyscallError("mmap", err)
	}
	adviseSequential(b)
	return b, nil
}

func (w *fileWindows) release(b []byte) error {
	return os.NewSyscallError("munmap", syscall.Munmap(b))
}

func (w *fileWindows) align() int64 { return w.page }

// openMapped returns a Reader that reads f in place, mapped, if f is a
// regular file holding a classic pcap (not compressed); otherwise nil, and
// f is read with NewReader. The Reader closes f.
func openMapped(f *os.File, name string, opt Options) (*Reader, error) {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return nil, nil
	}
	r, err := newMappedReader(&fileWindows{f: f, page: int64(os.Getpagesize())}, name, opt, mapWindow)
	if r != nil {
		r.closer = f
	}
	return r, err
}
