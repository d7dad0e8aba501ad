// Command xmodcheck checks C2SP checkpoints, RFC 6962 proofs and C2SP
// tlog-proofs with Go's golang.org/x/mod/sumdb/note and sumdb/tlog (the
// checksum database's code, as Debian packages it in
// golang-golang-x-mod-dev). It shares no code with ackreg: signatures are
// note.Open's, proofs tlog.CheckRecord's and tlog.CheckTree's, leaf hashes
// tlog.RecordHash's. This file only reads the text formats around them.
//
// Usage:
//
//	xmodcheck checkpoint VKEY FILE...
//	xmodcheck inclusion VKEY CHECKPOINT INDEX ENTRY HASHES
//	xmodcheck consistency VKEY OLD_CHECKPOINT NEW_CHECKPOINT HASHES
//	xmodcheck proof [-ackreg-extra] VKEY FILE...
//	xmodcheck vkey NAME PUBLIC_KEY
//
// `vkey` prints the verifier key note.NewEd25519VerifierKey makes of the
// base64 Ed25519 public key under NAME.
//
// ENTRY is a file of the entry's exact bytes; HASHES a file of base64
// proof hashes, one a line (an empty file for an empty proof). A
// tlog-proof's entry is its extra data, verbatim, or with -ackreg-extra as
// ackreg's docs/FORMAT.md (Receipts) lays it out: `{` first, verbatim; `x`
// first, a zlib stream of at most 81,920 bytes inflated.
//
// Each file checked prints `OK FILE: ...`. Exit status: 0 all verified,
// 1 refused (`REFUSED FILE: reason` on stderr), 2 usage error.
package main

import (
	"bytes"
	"compress/zlib"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const proofHeader = "c2sp.org/tlog-proof@v1"

// maxEntry is the largest entry ackreg writes (docs/FORMAT.md).
const maxEntry = 81920

type refusal struct{ error }

func refuse(format string, args ...interface{}) error {
	return refusal{fmt.Errorf(format, args...)}
}

// checkpoint is a verified checkpoint's body.
type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

// openCheckpoint verifies msg's signature by vkey with note.Open, then
// reads the body: origin, decimal size, base64 root hash, then any
// extension lines. The key's name must be the origin (C2SP tlog-checkpoint).
func openCheckpoint(vkey string, msg []byte) (checkpoint, error) {
	v, err := note.NewVerifier(vkey)
	if err != nil {
		return checkpoint{}, fmt.Errorf("the verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return checkpoint{}, refuse("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 || lines[len(lines)-1] != "" {
		return checkpoint{}, refuse("the checkpoint body has fewer than three lines")
	}
	c := checkpoint{origin: lines[0]}
	if c.origin != v.Name() {
		return checkpoint{}, refuse("the origin %q is not the key name %q", c.origin, v.Name())
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, refuse("the tree size %q is not canonical decimal", lines[1])
	}
	c.size = size
	root, err := tlog.ParseHash(lines[2])
	if err != nil || base64.StdEncoding.EncodeToString(root[:]) != lines[2] {
		return checkpoint{}, refuse("the root hash %q is not base64 of 32 bytes", lines[2])
	}
	c.root = root
	return c, nil
}

func parseHashes(lines []string) ([]tlog.Hash, error) {
	var hashes []tlog.Hash
	for i, line := range lines {
		h, err := tlog.ParseHash(line)
		if err != nil || base64.StdEncoding.EncodeToString(h[:]) != line {
			return nil, refuse("proof hash %d is not base64 of 32 bytes", i+1)
		}
		hashes = append(hashes, h)
	}
	return hashes, nil
}

func readHashes(path string) ([]tlog.Hash, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	text := strings.TrimSuffix(string(data), "\n")
	if text == "" {
		return nil, nil
	}
	return parseHashes(strings.Split(text, "\n"))
}

func checkCheckpoint(vkey, path string) (string, error) {
	msg, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	c, err := openCheckpoint(vkey, msg)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s, %d entries, root %s", c.origin, c.size, c.root), nil
}

func checkInclusion(vkey, cpPath, indexText, entryPath, hashesPath string) (string, error) {
	msg, err := os.ReadFile(cpPath)
	if err != nil {
		return "", err
	}
	c, err := openCheckpoint(vkey, msg)
	if err != nil {
		return "", err
	}
	index, err := strconv.ParseInt(indexText, 10, 64)
	if err != nil {
		return "", fmt.Errorf("the index %q: %v", indexText, err)
	}
	entry, err := os.ReadFile(entryPath)
	if err != nil {
		return "", err
	}
	proof, err := readHashes(hashesPath)
	if err != nil {
		return "", err
	}
	if err := include(c, index, entry, proof); err != nil {
		return "", err
	}
	return fmt.Sprintf("entry %d in %d entries", index, c.size), nil
}

func include(c checkpoint, index int64, entry []byte, proof []tlog.Hash) error {
	leaf := tlog.RecordHash(entry)
	if err := tlog.CheckRecord(tlog.RecordProof(proof), c.size, c.root, index, leaf); err != nil {
		return refuse("tlog.CheckRecord: inclusion of entry %d in %d entries: %v", index, c.size, err)
	}
	return nil
}

func checkConsistency(vkey, oldPath, newPath, hashesPath string) (string, error) {
	var cps [2]checkpoint
	for i, path := range []string{oldPath, newPath} {
		msg, err := os.ReadFile(path)
		if err != nil {
			return "", err
		}
		if cps[i], err = openCheckpoint(vkey, msg); err != nil {
			return "", fmt.Errorf("%s: %w", path, err)
		}
	}
	proof, err := readHashes(hashesPath)
	if err != nil {
		return "", err
	}
	older, newer := cps[0], cps[1]
	if err := tlog.CheckTree(tlog.TreeProof(proof), newer.size, newer.root, older.size, older.root); err != nil {
		return "", refuse("tlog.CheckTree: consistency of %d and %d entries: %v", older.size, newer.size, err)
	}
	return fmt.Sprintf("%d entries extend %d", newer.size, older.size), nil
}

// tlogProof is a parsed C2SP tlog-proof.
type tlogProof struct {
	extra      []byte
	hasExtra   bool
	index      int64
	proof      []tlog.Hash
	checkpoint []byte
}

// nextLine cuts the first line (without its line feed) off rest.
func nextLine(rest []byte) (string, []byte, error) {
	i := bytes.IndexByte(rest, '\n')
	if i < 0 {
		return "", nil, refuse("the proof ends before the blank line and the checkpoint")
	}
	return string(rest[:i]), rest[i+1:], nil
}

// parseTlogProof reads c2sp.org/tlog-proof: the header, an optional
// `extra BASE64` line, `index N`, proof hashes, a blank line, the
// checkpoint.
func parseTlogProof(data []byte) (tlogProof, error) {
	var p tlogProof
	line, rest, err := nextLine(data)
	if err != nil {
		return p, err
	}
	if line != proofHeader {
		return p, refuse("the first line is not %s", proofHeader)
	}
	if line, rest, err = nextLine(rest); err != nil {
		return p, err
	}
	if encoded, ok := cut(line, "extra "); ok {
		if p.extra, err = base64.StdEncoding.DecodeString(encoded); err != nil {
			return p, refuse("the extra data is not base64: %v", err)
		}
		p.hasExtra = true
		if line, rest, err = nextLine(rest); err != nil {
			return p, err
		}
	}
	indexText, ok := cut(line, "index ")
	if !ok {
		return p, refuse("no `index N` line")
	}
	if p.index, err = strconv.ParseInt(indexText, 10, 64); err != nil || p.index < 0 {
		return p, refuse("the index %q is not a decimal number", indexText)
	}
	var hashLines []string
	for {
		if line, rest, err = nextLine(rest); err != nil {
			return p, err
		}
		if line == "" {
			break
		}
		hashLines = append(hashLines, line)
	}
	if p.proof, err = parseHashes(hashLines); err != nil {
		return p, err
	}
	p.checkpoint = rest
	return p, nil
}

func cut(s, prefix string) (string, bool) {
	if !strings.HasPrefix(s, prefix) {
		return "", false
	}
	return s[len(prefix):], true
}

// ackregEntry is the entry in ackreg's extra data: `{` verbatim, `x` a
// zlib stream with nothing after it, anything else refused.
func ackregEntry(extra []byte) ([]byte, error) {
	if len(extra) == 0 {
		return nil, refuse("the extra data is empty")
	}
	switch extra[0] {
	case '{':
		return extra, nil
	case 'x':
		return inflate(extra)
	default:
		return nil, refuse("the extra data starts with 0x%02x, neither `{` nor `x`", extra[0])
	}
}

func inflate(stream []byte) ([]byte, error) {
	in := bytes.NewReader(stream)
	r, err := zlib.NewReader(in)
	if err != nil {
		return nil, refuse("the extra data is not a zlib stream: %v", err)
	}
	entry, err := io.ReadAll(io.LimitReader(r, maxEntry+1))
	if err != nil {
		return nil, refuse("the extra data's zlib stream: %v", err)
	}
	if len(entry) > maxEntry {
		return nil, refuse("the extra data inflates to more than %d bytes", maxEntry)
	}
	if err := r.Close(); err != nil {
		return nil, refuse("the extra data's zlib stream: %v", err)
	}
	if in.Len() != 0 {
		return nil, refuse("%d bytes after the extra data's zlib stream", in.Len())
	}
	return entry, nil
}

func checkTlogProof(vkey, path string, ackregExtra bool) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	p, err := parseTlogProof(data)
	if err != nil {
		return "", err
	}
	c, err := openCheckpoint(vkey, p.checkpoint)
	if err != nil {
		return "", err
	}
	if !p.hasExtra {
		return "", refuse("no extra data: the entry is not in the proof")
	}
	entry := p.extra
	if ackregExtra {
		if entry, err = ackregEntry(p.extra); err != nil {
			return "", err
		}
	}
	if err := include(c, p.index, entry, p.proof); err != nil {
		return "", err
	}
	return fmt.Sprintf("entry %d (%d bytes) in %d entries", p.index, len(entry), c.size), nil
}

func printVkey(name, publicKey string) {
	key, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: the public key is not base64: %v\n", err)
		os.Exit(2)
	}
	vkey, err := note.NewEd25519VerifierKey(name, ed25519.PublicKey(key))
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		os.Exit(2)
	}
	fmt.Println(vkey)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage:\n"+
		"  xmodcheck checkpoint VKEY FILE...\n"+
		"  xmodcheck inclusion VKEY CHECKPOINT INDEX ENTRY HASHES\n"+
		"  xmodcheck consistency VKEY OLD_CHECKPOINT NEW_CHECKPOINT HASHES\n"+
		"  xmodcheck proof [-ackreg-extra] VKEY FILE...\n"+
		"  xmodcheck vkey NAME PUBLIC_KEY")
	os.Exit(2)
}

// report prints the outcome of one check; false for a refusal.
func report(name, ok string, err error) bool {
	var r refusal
	switch {
	case err == nil:
		fmt.Printf("OK %s: %s\n", name, ok)
		return true
	case errors.As(err, &r):
		fmt.Fprintf(os.Stderr, "REFUSED %s: %v\n", name, err)
		return false
	default:
		fmt.Fprintf(os.Stderr, "error: %s: %v\n", name, err)
		os.Exit(2)
		return false
	}
}

func main() {
	args := os.Args[1:]
	if len(args) < 2 {
		usage()
	}
	command, args := args[0], args[1:]
	all := true
	switch command {
	case "checkpoint":
		for _, path := range args[1:] {
			ok, err := checkCheckpoint(args[0], path)
			all = report(path, ok, err) && all
		}
	case "inclusion":
		if len(args) != 5 {
			usage()
		}
		ok, err := checkInclusion(args[0], args[1], args[2], args[3], args[4])
		all = report(args[4], ok, err)
	case "consistency":
		if len(args) != 4 {
			usage()
		}
		ok, err := checkConsistency(args[0], args[1], args[2], args[3])
		all = report(args[3], ok, err)
	case "proof":
		ackregExtra := args[0] == "-ackreg-extra"
		if ackregExtra {
			args = args[1:]
		}
		if len(args) < 2 {
			usage()
		}
		for _, path := range args[1:] {
			ok, err := checkTlogProof(args[0], path, ackregExtra)
			all = report(path, ok, err) && all
		}
	case "vkey":
		if len(args) != 2 {
			usage()
		}
		printVkey(args[0], args[1])
	default:
		usage()
	}
	if !all {
		os.Exit(1)
	}
}
