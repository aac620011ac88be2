package cshim

/*
#include "shim.h"
*/
import "C"

import (
	"runtime/cgo"
	"unsafe"
)

// goKbdCallback is called by the keyboard-interactive trampoline in shim.c. Answers are copied into
// memory from the session's counting allocator (linked to sess, the session's shim_session), because
// libssh2 frees them with that allocator.
//
//export goKbdCallback
func goKbdCallback(sess unsafe.Pointer, h C.uintptr_t, name *C.char, nameLen C.int, instr *C.char, instrLen C.int,
	n C.int, prompts *C.LIBSSH2_USERAUTH_KBDINT_PROMPT, responses *C.LIBSSH2_USERAUTH_KBDINT_RESPONSE) {
	if h == 0 || n <= 0 {
		return
	}
	fn := cgo.Handle(h).Value().(KbdFunc)
	ps := unsafe.Slice(prompts, int(n))
	goPrompts := make([]KbdPrompt, len(ps))
	for i, p := range ps {
		// libssh2 1.11 made text an unsigned char * and length a size_t (1.10: char *, unsigned int):
		// the casts build against both.
		goPrompts[i] = KbdPrompt{Text: C.GoStringN((*C.char)(unsafe.Pointer(p.text)), C.int(p.length)), Echo: p.echo != 0}
	}
	answers := fn(C.GoStringN(name, nameLen), C.GoStringN(instr, instrLen), goPrompts)
	rs := unsafe.Slice(responses, int(n))
	for i := range rs {
		if i >= len(answers) {
			break
		}
		a := answers[i]
		p := C.shim_session_alloc(sess, C.size_t(len(a)+1))
		if p == nil {
			return
		}
		buf := unsafe.Slice((*byte)(p), len(a)+1)
		copy(buf, a)
		buf[len(a)] = 0
		rs[i].text = (*C.char)(p)
		rs[i].length = C.uint(len(a))
	}
}

// Transport carries a session's bytes when it has no socket (SessionSetTransport). Its methods are
// called by libssh2, inside a call on the session, and must not block or call libssh2.
type Transport interface {
	// Send takes bytes of p to send, and returns how many, or -errno: -EAGAIN when it can take none
	// now. It must not keep p.
	Send(p []byte) int
	// Recv fills p with received bytes and returns how many, 0 at the end of the stream, or -errno:
	// -EAGAIN when none have arrived. It must not keep p.
	Recv(p []byte) int
}

// SessionSetTransport makes s send and receive through t instead of a socket (libssh2's
// LIBSSH2_CALLBACK_SEND and LIBSSH2_CALLBACK_RECV set to shim.c's, which call t). Call it before the
// handshake; call release after SessionFree.
func SessionSetTransport(s *Session, t Transport) (release func()) {
	h := cgo.NewHandle(t)
	C.shim_session_set_transport(s.c(), C.uintptr_t(h))
	return h.Delete
}

//export goTransportSend
func goTransportSend(h C.uintptr_t, buf unsafe.Pointer, n C.size_t) C.ssize_t {
	t := cgo.Handle(h).Value().(Transport)
	return C.ssize_t(t.Send(unsafe.Slice((*byte)(buf), int(n))))
}

//export goTransportRecv
func goTransportRecv(h C.uintptr_t, buf unsafe.Pointer, n C.size_t) C.ssize_t {
	t := cgo.Handle(h).Value().(Transport)
	return C.ssize_t(t.Recv(unsafe.Slice((*byte)(buf), int(n))))
}
