package libssh2_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed191f4051/go-libssh2/libssh2"
)

var _ io.WriterAt = (*libssh2.File)(nil)

// TestWriteAtLikeOSFile runs the same random mix of Write, WriteAt, Read, ReadAt and Seek on a
// remote File and on a local os.File, and wants the same results from each call and the same bytes
// in the end: WriteAt never moves the offset, and runs of consecutive WriteAts, pipelined in the
// window, lose and repeat nothing.
func TestWriteAtLikeOSFile(t *testing.T) {
	_, sf := openSFTP(t, srv)
	name := srv.Path("writeat-model.bin")
	f, err := sf.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	local, err := os.Create(filepath.Join(t.TempDir(), "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	defer local.Close()
	rng := rand.New(rand.NewPCG(7, 11))
	data := func(n int) []byte {
		p := make([]byte, n)
		for i := range p {
			p[i] = byte(rng.IntN(256))
		}
		return p
	}
	const limit = 1 << 20
	next := int64(0) // where a run of consecutive WriteAts goes on
	for i := 0; i < 400; i++ {
		var what string
		var gotN, wantN int
		var gotErr, wantErr error
		var got, want []byte
		switch k := rng.IntN(10); {
		case k < 4: // a run of WriteAts at consecutive offsets (pipelined)
			what = "WriteAt"
			if rng.IntN(3) == 0 {
				next = rng.Int64N(limit)
			}
			p := data(1 + rng.IntN(70000))
			gotN, gotErr = f.WriteAt(p, next)
			wantN, wantErr = local.WriteAt(p, next)
			next += int64(len(p))
		case k < 6:
			what = "Write"
			p := data(1 + rng.IntN(40000))
			gotN, gotErr = f.Write(p)
			wantN, wantErr = local.Write(p)
		case k < 7:
			what = "Read"
			got = make([]byte, rng.IntN(50000))
			want = make([]byte, len(got))
			gotN, gotErr = io.ReadFull(f, got)
			wantN, wantErr = io.ReadFull(local, want)
		case k < 8:
			what = "ReadAt"
			off := rng.Int64N(limit)
			got = make([]byte, rng.IntN(50000))
			want = make([]byte, len(got))
			gotN, gotErr = f.ReadAt(got, off)
			wantN, wantErr = local.ReadAt(want, off)
		default:
			what = "Seek"
			off := rng.Int64N(limit)
			g, err1 := f.Seek(off, io.SeekStart)
			w, err2 := local.Seek(off, io.SeekStart)
			gotN, wantN, gotErr, wantErr = int(g), int(w), err1, err2
		}
		if gotN != wantN || (gotErr == nil) != (wantErr == nil) || (got != nil && !bytes.Equal(got[:gotN], want[:wantN])) {
			t.Fatalf("op %d %s: remote %d, %v; local %d, %v", i, what, gotN, gotErr, wantN, wantErr)
		}
		g, err1 := f.Seek(0, io.SeekCurrent)
		w, _ := local.Seek(0, io.SeekCurrent)
		if err1 != nil || g != w {
			t.Fatalf("after op %d %s: remote offset %d (%v), local %d", i, what, g, err1, w)
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(local.Name())
	if err != nil {
		t.Fatal(err)
	}
	checkRemote(t, name, want)
}

func TestWriteAtAppendRefused(t *testing.T) {
	_, sf := openSFTP(t, srv)
	f, err := sf.OpenFile(srv.Path("writeat-append.bin"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteAt([]byte("x"), 0); err == nil {
		t.Error("WriteAt on an O_APPEND file succeeded, want an error (as os.File)")
	}
	if _, err := f.WriteAt([]byte("x"), -1); err == nil {
		t.Error("WriteAt at a negative offset succeeded")
	}
}
