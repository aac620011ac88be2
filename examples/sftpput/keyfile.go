package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"strings"
)

// keyInfo is what sftpput needs to know of a private key file before libssh2 reads it: whether to
// ask for a passphrase, and whether it is an RSA key (for the ssh-rsa hint, see rsaHint).
type keyInfo struct {
	format    string // "openssh", "pem" (RSA, EC, DSA, PKCS#8: what libssh2 reads through OpenSSL)
	typ       string // "ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", ...; "" when unknown
	encrypted bool
}

// errNotKey says that a file is not a private key libssh2 could read.
var errNotKey = errors.New("not a private key file")

// pemKeyTypes are the PEM block types of private keys that libssh2 reads (through OpenSSL), with the
// key type each one announces.
var pemKeyTypes = map[string]string{
	"RSA PRIVATE KEY":       "ssh-rsa",
	"DSA PRIVATE KEY":       "ssh-dss",
	"EC PRIVATE KEY":        "ecdsa",
	"PRIVATE KEY":           "", // PKCS#8: the type is inside
	"ENCRYPTED PRIVATE KEY": "", // PKCS#8, encrypted: the type is inside the encryption
}

// readKeyFile reads the private key file at path. The key type of a key whose file does not say it
// (an encrypted PKCS#8 key) is taken from path+".pub" when that exists.
func readKeyFile(path string) (keyInfo, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return keyInfo{}, err
	}
	k, err := parseKey(b)
	if err == nil && k.typ == "" {
		if pub, perr := os.ReadFile(path + ".pub"); perr == nil {
			if f := strings.Fields(string(pub)); len(f) >= 2 {
				k.typ = f[0]
			}
		}
	}
	return k, err
}

// parseKey reads a private key file's contents: the first PEM block that is a private key
// (anything before it, such as a comment, is skipped, as OpenSSL does). It never reads past the
// data it is given: a truncated or malformed key is errNotKey with the reason, never a panic.
func parseKey(data []byte) (keyInfo, error) {
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return keyInfo{}, fmt.Errorf("%w: no PEM block (-----BEGIN ... PRIVATE KEY-----) holding a private key", errNotKey)
		}
		if block.Type == "OPENSSH PRIVATE KEY" {
			return parseOpenSSHKey(block.Bytes)
		}
		typ, ok := pemKeyTypes[block.Type]
		if !ok {
			continue // another block, such as a certificate or a public key
		}
		k := keyInfo{format: "pem", typ: typ}
		switch block.Type {
		case "ENCRYPTED PRIVATE KEY":
			k.encrypted = true
		case "PRIVATE KEY":
			k.typ = pkcs8Type(block.Bytes)
		default:
			// Traditional OpenSSL PEM: "Proc-Type: 4,ENCRYPTED" and a DEK-Info header.
			k.encrypted = strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED")
		}
		return k, nil
	}
}

// pkcs8Type is the SSH key type of an unencrypted PKCS#8 key, "" when it cannot tell.
func pkcs8Type(der []byte) string {
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return ""
	}
	switch key.(type) {
	case *rsa.PrivateKey:
		return "ssh-rsa"
	case *ecdsa.PrivateKey:
		return "ecdsa"
	case ed25519.PrivateKey:
		return "ssh-ed25519"
	}
	return ""
}

// parseOpenSSHKey reads the binary of an "openssh-key-v1" key (OpenSSH's PROTOCOL.key): the magic,
// then the cipher name, KDF name, KDF options, the number of keys and the first public key, whose
// first string is the key type. The public part is never encrypted.
func parseOpenSSHKey(b []byte) (keyInfo, error) {
	const magic = "openssh-key-v1\x00"
	if !bytes.HasPrefix(b, []byte(magic)) {
		return keyInfo{}, fmt.Errorf("%w: an OPENSSH PRIVATE KEY block without the openssh-key-v1 magic", errNotKey)
	}
	r := sshReader{b: b[len(magic):]}
	cipher := r.str()
	r.str() // KDF name
	r.str() // KDF options
	n := r.uint32()
	pub := sshReader{b: r.str()}
	typ := pub.str()
	if r.err != nil || pub.err != nil || n == 0 {
		return keyInfo{}, fmt.Errorf("%w: a truncated or malformed OPENSSH PRIVATE KEY block", errNotKey)
	}
	if len(cipher) == 0 || len(typ) == 0 {
		return keyInfo{}, fmt.Errorf("%w: an OPENSSH PRIVATE KEY block without a cipher or key type", errNotKey)
	}
	return keyInfo{format: "openssh", typ: string(typ), encrypted: string(cipher) != "none"}, nil
}

// sshReader reads SSH wire-format values (RFC 4251) from b; past the end it returns zero values and
// keeps the error.
type sshReader struct {
	b   []byte
	err error
}

func (r *sshReader) uint32() uint32 {
	if r.err != nil || len(r.b) < 4 {
		r.err = errNotKey
		return 0
	}
	v := binary.BigEndian.Uint32(r.b)
	r.b = r.b[4:]
	return v
}

func (r *sshReader) str() []byte {
	n := r.uint32()
	if r.err != nil || uint64(n) > uint64(len(r.b)) {
		r.err = errNotKey
		return nil
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

// isRSA reports whether a key type is RSA (an ssh-rsa key, which libssh2 before 1.11 signs with
// SHA-1).
func (k keyInfo) isRSA() bool { return k.typ == "ssh-rsa" }
