package join

import (
	"fmt"
	"io"

	"syncgap/pipeline"
)

// source is the join's two inputs, each read more than once and in table
// order every time: the key passes read a few columns, the emit passes
// whole rows. Row indexes are positions in the table.
type source interface {
	adCount() (int64, error)
	adKeys(fn func(ai int32, k *adKey) error) error
	adDNs(fn func(ai int32, dn string) error) error
	adRows() (rowReader[pipeline.ADUser], error)
	cloudKeys(fn func(ci int32, k *cloudKey) error) error
	cloudRows(fn func(ci int32, u *pipeline.EntraUser) error) error
}

// rowReader pulls rows one at a time; Next returns io.EOF after the last.
type rowReader[T any] interface {
	Next(*T) error
	Close() error
}

// tableFiles is source over the snapshot's table files.
type tableFiles struct{ ad, cloud string }

func scanIndexed[T any](path string, limit int64, fn func(i int32, row *T) error) error {
	var i int64
	return pipeline.ScanRows(path, func(row *T) error {
		if i >= limit {
			return fmt.Errorf("%s: more than %d rows", path, limit)
		}
		i++
		return fn(int32(i-1), row)
	})
}

func (f tableFiles) adCount() (int64, error) {
	r, err := pipeline.OpenReader[adKey](f.ad)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return r.NumRows(), nil
}

func (f tableFiles) adKeys(fn func(int32, *adKey) error) error {
	return scanIndexed(f.ad, maxADRows, fn)
}

func (f tableFiles) adDNs(fn func(int32, string) error) error {
	type dnOnly struct {
		DN string `parquet:"dn"`
	}
	return scanIndexed(f.ad, maxADRows, func(i int32, r *dnOnly) error { return fn(i, r.DN) })
}

func (f tableFiles) adRows() (rowReader[pipeline.ADUser], error) {
	return pipeline.OpenReader[pipeline.ADUser](f.ad)
}

func (f tableFiles) cloudKeys(fn func(int32, *cloudKey) error) error {
	return scanIndexed(f.cloud, maxCloudRows, fn)
}

func (f tableFiles) cloudRows(fn func(int32, *pipeline.EntraUser) error) error {
	return scanIndexed(f.cloud, maxCloudRows, fn)
}

// memTables is source over rows in memory, for Join.
type memTables struct {
	ad    []pipeline.ADUser
	cloud []pipeline.EntraUser
}

func (s memTables) adCount() (int64, error) { return int64(len(s.ad)), nil }

func (s memTables) adKeys(fn func(int32, *adKey) error) error {
	for i := range s.ad {
		if err := fn(int32(i), &adKey{SourceAnchor: s.ad[i].SourceAnchor, UPN: s.ad[i].UPN}); err != nil {
			return err
		}
	}
	return nil
}

func (s memTables) adDNs(fn func(int32, string) error) error {
	for i := range s.ad {
		if err := fn(int32(i), s.ad[i].DN); err != nil {
			return err
		}
	}
	return nil
}

func (s memTables) adRows() (rowReader[pipeline.ADUser], error) { return &sliceReader{rows: s.ad}, nil }

func (s memTables) cloudKeys(fn func(int32, *cloudKey) error) error {
	for i := range s.cloud {
		c := &s.cloud[i]
		k := cloudKey{ImmutableID: c.OnPremisesImmutableID, OnPremUPN: c.OnPremisesUPN, UPN: c.UPN, SyncEnabled: c.OnPremisesSyncEnabled}
		if err := fn(int32(i), &k); err != nil {
			return err
		}
	}
	return nil
}

func (s memTables) cloudRows(fn func(int32, *pipeline.EntraUser) error) error {
	for i := range s.cloud {
		if err := fn(int32(i), &s.cloud[i]); err != nil {
			return err
		}
	}
	return nil
}

type sliceReader struct {
	rows []pipeline.ADUser
	i    int
}

func (r *sliceReader) Next(u *pipeline.ADUser) error {
	if r.i >= len(r.rows) {
		return io.EOF
	}
	*u = r.rows[r.i]
	r.i++
	return nil
}

func (r *sliceReader) Close() error { return nil }
