package cshim

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/seed191f4051/go-libssh2/internal/errmap"
)

// TestCodesMatchHeader proves that internal/errmap's numbers are the installed header's.
func TestCodesMatchHeader(t *testing.T) {
	header := HeaderErrorCodes()
	if len(header) < 50 { // libssh2 1.10 has 50 distinct codes from 0 to -49
		t.Fatalf("only %d LIBSSH2_ERROR_* codes read from the header", len(header))
	}
	ours := map[string]int{}
	for _, c := range errmap.Codes() {
		if _, ok := header[c.String()]; ok {
			ours[c.String()] = int(c)
		}
	}
	if diff := cmp.Diff(header, ours); diff != "" {
		t.Errorf("errmap codes differ from the header (-header +errmap):\n%s", diff)
	}
	statuses := map[string]uint32{}
	for _, s := range errmap.Statuses() {
		statuses[s.String()] = uint32(s)
	}
	if diff := cmp.Diff(HeaderSFTPStatuses(), statuses); diff != "" {
		t.Errorf("errmap statuses differ from the header (-header +errmap):\n%s", diff)
	}
}

func TestVersion(t *testing.T) {
	if v := Version(); v == "" {
		t.Error("libssh2_version(0) returned nothing")
	}
}
