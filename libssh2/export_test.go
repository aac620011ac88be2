package libssh2

import "time"

// GrowAlways makes transfers open every stream they may, at once, whatever the round trip and the
// gain, so that tests on loopback run several streams; it returns the function that restores the
// measured growth.
func GrowAlways() (restore func()) {
	rtt, gain, window, left := growRTT, growGain, growWindow, growMinLeft
	growRTT, growGain, growWindow, growMinLeft = 0, 0, time.Millisecond, 0
	return func() { growRTT, growGain, growWindow, growMinLeft = rtt, gain, window, left }
}
