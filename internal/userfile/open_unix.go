//go:build unix

package userfile

import "syscall"

// openFlags: O_NONBLOCK so that a named pipe swapped in after the Stat cannot block the Open
// (it then fails the second check); reads of regular files ignore the flag.
const openFlags = syscall.O_NONBLOCK
