package libssh2

import "context"

// SetReadDirBufSize sets the name buffer ReadDir starts with, so that tests can make names overflow
// it; it returns a function that restores the default.
func SetReadDirBufSize(n int) (restore func()) {
	old := readDirBufSize
	readDirBufSize = n
	return func() { readDirBufSize = old }
}

// SetReadDirEntryHook sets a function ReadDir runs after each entry; nil removes it.
func SetReadDirEntryHook(f func()) { testHookReadDirEntry = f }

// SetLinkBufSize sets the buffer Readlink and RealPath start with; it returns a function that
// restores the default.
func SetLinkBufSize(n int) (restore func()) {
	old := linkBufSize
	linkBufSize = n
	return func() { linkBufSize = old }
}

// LinkStatusLost is the result of the once-per-process probe for a libssh2 that misreads the status
// of SYMLINK, READLINK and REALPATH answers, running it on sf if it has not run yet.
func LinkStatusLost(sf *SFTP) (bool, error) { return sf.linkStatusLost(context.Background()) }
