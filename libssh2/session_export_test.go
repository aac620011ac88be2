package libssh2

// ReclaimedCBlocks returns the number of C blocks the binding freed after libssh2_session_free
// left them behind.
func ReclaimedCBlocks() int64 { return reclaimedCBlocks.Load() }
