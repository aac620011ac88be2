package libssh2

// SocketFD is the descriptor a session's libssh2 talks on, or -1 for a connection without one.
func SocketFD(s *Session) int {
	if s.fdl == nil {
		return -1
	}
	return s.fdl.fd
}
