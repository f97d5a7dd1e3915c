package pipeline

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ErrLocked is a lock another process holds.
var ErrLocked = errors.New("locked by another process")

// LockFile is the lock every command that writes into a snapshot holds
// while it writes (docs/architecture.md, "Snapshots"). It stays in the
// snapshot, empty: removing a lock file while another process may be
// opening it would let two writers in.
const LockFile = "syncgap.lock"

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

// LockSnapshot takes the writer lock of the snapshot dir without waiting:
// a second writer is refused at once, never queued behind the first, so
// that it cannot go on to act on what the first one changed.
func LockSnapshot(dir string) (func(), error) {
	unlock, err := Lock(filepath.Join(dir, LockFile))
	if errors.Is(err, ErrLocked) {
		return nil, fmt.Errorf("%s: another syncgap command is writing this snapshot; wait for it to finish: %w", dir, ErrLocked)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	return unlock, nil
}
