package join

import (
	"bytes"
	"context"
	"strings"
	"unicode/utf8"

	"syncgap/pipeline"
)

// NormUPN is the comparison form of a UPN: trimmed, case-insensitive.
func NormUPN(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// adKey is the part of an AD user the key lookups index.
type adKey struct {
	SourceAnchor string `parquet:"source_anchor"`
	UPN          string `parquet:"upn"`
}

// cloudKey is the part of a cloud user the key lookups probe with.
type cloudKey struct {
	ImmutableID string            `parquet:"on_premises_immutable_id"`
	OnPremUPN   string            `parquet:"on_premises_upn"`
	UPN         string            `parquet:"upn"`
	SyncEnabled pipeline.NullBool `parquet:"on_premises_sync_enabled"`
}

// addEdges adds an edge of kind for cloud row ci to each AD row of a lookup.
func addEdges(out *edgeRuns, ci int32, kind int, first int32, more []int32) error {
	if err := out.add(packEdge(ci, kind, first)); err != nil {
		return err
	}
	for _, j := range more {
		if err := out.add(packEdge(ci, kind, j)); err != nil {
			return err
		}
	}
	return nil
}

// appendNorm appends NormUPN(s) to dst, without allocating when s is
// ASCII (strings.ToLower lower-cases ASCII the same way).
func appendNorm(dst []byte, s string) []byte {
	s = strings.TrimSpace(s)
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return append(dst, strings.ToLower(s)...)
		}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// probe adds the edges of one cloud user's keys.
func probe(anchors, upns *keyIndex, ci int32, c *cloudKey, scratch *[2][]byte, out *edgeRuns) error {
	if first, more, ok := anchors.lookup([]byte(c.ImmutableID)); ok {
		if err := addEdges(out, ci, kindAnchor, first, more); err != nil {
			return err
		}
	}
	onPrem := appendNorm(scratch[0][:0], c.OnPremUPN)
	upn := appendNorm(scratch[1][:0], c.UPN)
	scratch[0], scratch[1] = onPrem, upn
	first, more, ok := upns.lookup(onPrem)
	if ok {
		if err := addEdges(out, ci, kindOnPremUPN, first, more); err != nil {
			return err
		}
	}
	// A synced user's two UPNs are mostly one: look it up once.
	if !bytes.Equal(onPrem, upn) {
		first, more, ok = upns.lookup(upn)
	}
	if ok {
		return addEdges(out, ci, kindUPN, first, more)
	}
	return nil
}

// keyBytes is what one AD user costs in the two indexes beyond its keys'
// bytes: a 24-byte slot in each table, sized a third above the keys it
// will hold (keyindex.go), and the arena blocks' unused ends.
const keyBytes = 96

// findEdges looks every cloud user's keys up among the AD users' and adds
// an edge per candidate to out. The AD keys are indexed a chunk at a time,
// as many as budget holds; the cloud keys are read once per chunk. With
// the budget of a million-user tenant that is a single chunk.
func findEdges(ctx context.Context, src source, budget int64, out *edgeRuns) (adRows int32, chunks int, err error) {
	n, err := src.adCount()
	if err != nil {
		return 0, 0, err
	}
	// A chunk holds the rest of the AD users or what the budget allows,
	// at a typical 60 bytes of keys a user.
	size := func(done int32) int { return int(min(n-int64(done), budget/(keyBytes+60))) }
	anchors, upns := newKeyIndex(size(0)), newKeyIndex(size(0))
	var held int64
	inChunk := 0
	probe := func() error {
		chunks++
		var scratch [2][]byte
		err := src.cloudKeys(func(ci int32, c *cloudKey) error {
			if c.SyncEnabled.IsFalse() {
				return nil // no rule applies (docs/rules.md, "Join")
			}
			return probe(anchors, upns, ci, c, &scratch, out)
		})
		// Let go of this chunk's indexes before sizing the next chunk's:
		// made first, the new maps would sit beside the old ones.
		anchors, upns, held, inChunk = nil, nil, 0, 0
		anchors, upns = newKeyIndex(size(adRows)), newKeyIndex(size(adRows))
		if err == nil {
			err = ctx.Err()
		}
		return err
	}
	err = src.adKeys(func(ai int32, k *adKey) error {
		if ai%4096 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		adRows = ai + 1
		upn := NormUPN(k.UPN)
		anchors.add(k.SourceAnchor, ai)
		upns.add(upn, ai)
		inChunk++
		if held += int64(len(k.SourceAnchor)+len(upn)) + keyBytes; held >= budget || anchors.full() || upns.full() {
			return probe()
		}
		return nil
	})
	if err == nil && (inChunk > 0 || chunks == 0) {
		err = probe()
	}
	return adRows, chunks, err
}
