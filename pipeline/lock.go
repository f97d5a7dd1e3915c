package pipeline

import (
	"errors"
	"fmt"
	"os"
)

// ErrLocked is a lock another process holds.
var ErrLocked = errors.New("locked by another process")

// Lock takes an exclusive lock on path (created if missing) without
// waiting; release it with the returned func. It is an OS file lock (flock,
// or LockFileEx on Windows), so a killed process never leaves it held.
func Lock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	if err := lockFile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { unlockFile(f); f.Close() }, nil
}
