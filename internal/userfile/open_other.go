//go:build !unix

package userfile

// openFlags: no portable non-blocking open; the Stat before the Open refuses pipes.
const openFlags = 0
