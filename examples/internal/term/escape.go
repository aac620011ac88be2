package term

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s safe to print on a terminal: every control character (C0, DEL, C1 such as the
// one-byte CSI 0x9b), every Unicode format character (bidirectional overrides, zero-width ones) and
// every byte that is not valid UTF-8 is written as a Go escape (\x1b, \n, \u202e) instead, so that
// a file name cannot move the cursor, recolour or retitle the terminal, rewrite the line it is on, or
// show its characters in another order. Other text, including printable non-ASCII, is kept as it is.
// Escape is idempotent: what it returns has nothing left to escape.
func Escape(s string) string {
	i := 0
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if needsEscape(r, n) {
			break
		}
		i += n
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !needsEscape(r, n) {
			b.WriteString(s[i : i+n])
			i += n
			continue
		}
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	return b.String()
}

// needsEscape reports whether the rune r, n bytes long in its string, must not reach a terminal.
func needsEscape(r rune, n int) bool {
	if r == utf8.RuneError && n == 1 {
		return true // not UTF-8: a terminal could take it for a C1 control byte
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		r == '\u2028' || r == '\u2029' // line and paragraph separators: a new line on some terminals
}
