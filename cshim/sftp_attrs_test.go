package cshim

import (
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/internal/errmap"
)

// The public package turns SFTP modes into fs.FileMode with the header's S_IF* values; on Linux they
// are the kernel's, which the tests compare against os.Stat.
func TestSFTPFileTypes(t *testing.T) {
	got := []uint64{SFTPSIfmt, SFTPSIfifo, SFTPSIfchr, SFTPSIfdir, SFTPSIfblk, SFTPSIfreg, SFTPSIflnk, SFTPSIfsock}
	want := []uint64{syscall.S_IFMT, syscall.S_IFIFO, syscall.S_IFCHR, syscall.S_IFDIR, syscall.S_IFBLK, syscall.S_IFREG, syscall.S_IFLNK, syscall.S_IFSOCK}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LIBSSH2_SFTP_S_IF* (-syscall +header):\n%s", diff)
	}
}

// The posix-rename wrapper takes the branch its guard says: without libssh2_sftp_posix_rename_ex it
// answers LIBSSH2_ERROR_METHOD_NOT_SUPPORTED itself; with it, libssh2 refuses the NULL channel with
// LIBSSH2_ERROR_BAD_USE.
func TestPosixRenameGuard(t *testing.T) {
	want := ErrorMethodNotSupported
	if HavePosixRename {
		want = int(errmap.BadUse)
	}
	if rc := SFTPPosixRenameEx(nil, "a", "b"); rc != want {
		t.Errorf("SFTPPosixRenameEx(NULL) = %d, want %d (HavePosixRename %v, LIBSSH2_VERSION_NUM %#x)", rc, want, HavePosixRename, VersionNum)
	}
}
