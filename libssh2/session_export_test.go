package libssh2

import "github.com/seed191f4051/go-libssh2/cshim"

// ReclaimedCBlocks returns the number of C blocks the binding freed after libssh2_session_free
// left them behind.
func ReclaimedCBlocks() int64 { return reclaimedCBlocks.Load() }

// LiveCAllocations returns the number of C memory blocks that libssh2 allocated through this
// package's sessions and has not freed yet (cshim's counting allocator). After every Session is
// closed it is 0; the tests use it to prove that nothing leaks (docs/DESIGN.md, I7). Blocks that
// libssh2_session_free leaves behind (libssh2 1.10 forgets a half-finished key exchange's key pair)
// are freed by the binding right after it, because the allocator links every block to its session.
// A test hook, not API: only the package's tests see it.
func LiveCAllocations() int64 { return cshim.LiveAllocs() }
