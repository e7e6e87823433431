package residual

import (
	"encoding/binary"
	"fmt"
)

// maxPickleBytes bounds data.pkl: a pickled tensor is a few hundred bytes.
const maxPickleBytes = 64 << 10

// maxLineBytes bounds the newline-terminated arguments of text opcodes (module names, decimal
// numbers): nothing a tensor pickle holds is longer.
const maxLineBytes = 256

// opArg is how an opcode's argument is encoded.
type opArg int

const (
	argNone      opArg = iota
	argFixed           // a fixed number of bytes
	argLine            // one newline-terminated line
	argTwoLines        // two newline-terminated lines (GLOBAL)
	argLenPrefix       // a little-endian length of the given size, then that many bytes
)

type opSpec struct {
	name string
	arg  opArg
	size int // fixed argument size, or the size of the length prefix
}

// allowedOps are the pickle opcodes (protocols 0 to 5) a saved tensor may use: values, tuples,
// lists, dicts, the memo, globals, REDUCE and persistent ids. Opcodes that build arbitrary
// objects (BUILD, INST, OBJ, NEWOBJ, EXT*, out-of-band buffers, sets) are not on the list.
// gopickle allocates a length-prefixed argument before reading it, so scanPickle checks every
// length against the bytes that remain first.
func allowedOp(op byte) (opSpec, bool) {
	switch op {
	case '(', '.', '0', '1', '2', 'N', '\x88', '\x89', ')', 't', '\x85', '\x86', '\x87', ']', 'l', 'a', 'e',
		'}', 'd', 's', 'u', '\x93', 'R', 'Q', '\x94':
		return opSpec{name: "no-argument opcode", arg: argNone}, true
	case 'K', 'h', 'q', '\x80':
		return opSpec{name: "1-byte opcode", arg: argFixed, size: 1}, true
	case 'M':
		return opSpec{name: "BININT2", arg: argFixed, size: 2}, true
	case 'J', 'j', 'r':
		return opSpec{name: "4-byte opcode", arg: argFixed, size: 4}, true
	case 'G':
		return opSpec{name: "BINFLOAT", arg: argFixed, size: 8}, true
	case 'I', 'L', 'F', 'S', 'V', 'P', 'g', 'p':
		return opSpec{name: "text opcode", arg: argLine}, true
	case 'c':
		return opSpec{name: "GLOBAL", arg: argTwoLines}, true
	case 'U', 'C', '\x8c', '\x8a':
		return opSpec{name: "short string", arg: argLenPrefix, size: 1}, true
	case 'T', 'X', 'B', '\x8b':
		return opSpec{name: "string", arg: argLenPrefix, size: 4}, true
	case '\x8d', '\x8e':
		return opSpec{name: "long string", arg: argLenPrefix, size: 8}, true
	case '\x95':
		return opSpec{name: "FRAME", arg: argFixed, size: 8}, true
	}
	return opSpec{}, false
}

// scanPickle walks the opcodes of p without running them. It accepts only allowedOps with
// arguments that fit in p, GLOBALs on the allow list, and nothing after the STOP opcode.
func scanPickle(p []byte) error {
	if len(p) > maxPickleBytes {
		return fmt.Errorf("data.pkl is %d bytes, at most %d", len(p), maxPickleBytes)
	}
	for i := 0; i < len(p); {
		op, at := p[i], i
		i++
		spec, ok := allowedOp(op)
		if !ok {
			return fmt.Errorf("pickle opcode 0x%02x at byte %d is not allowed in a tensor file", op, at)
		}
		switch spec.arg {
		case argNone:
			if op == '.' {
				if i != len(p) {
					return fmt.Errorf("pickle: %d bytes after STOP", len(p)-i)
				}
				return nil
			}
		case argFixed:
			if len(p)-i < spec.size {
				return fmt.Errorf("pickle: %s at byte %d is cut short", spec.name, at)
			}
			if op == '\x95' && binary.LittleEndian.Uint64(p[i:]) > uint64(len(p)-i-8) {
				return fmt.Errorf("pickle: FRAME at byte %d is longer than the file", at)
			}
			i += spec.size
		case argLine, argTwoLines:
			lines := 1
			if spec.arg == argTwoLines {
				lines = 2
			}
			var words []string
			for range lines {
				end, err := lineEnd(p, i, at)
				if err != nil {
					return err
				}
				words = append(words, string(p[i:end]))
				i = end + 1
			}
			if op == 'c' && !allowedGlobal(words[0], words[1]) {
				return fmt.Errorf("pickle refers to %s.%s, which a tensor file never needs", clip(words[0]), clip(words[1]))
			}
		case argLenPrefix:
			if len(p)-i < spec.size {
				return fmt.Errorf("pickle: %s length at byte %d is cut short", spec.name, at)
			}
			var n uint64
			switch spec.size {
			case 1:
				n = uint64(p[i])
			case 4:
				n = uint64(binary.LittleEndian.Uint32(p[i:]))
			default:
				n = binary.LittleEndian.Uint64(p[i:])
			}
			i += spec.size
			if n > uint64(len(p)-i) || (op == '\x8b' || op == '\x8a') && n > 16 {
				return fmt.Errorf("pickle: %s at byte %d claims %d bytes, %d remain", spec.name, at, n, len(p)-i)
			}
			i += int(n)
		}
	}
	return fmt.Errorf("pickle ends without STOP")
}

// lineEnd finds the newline ending the argument that starts at i.
func lineEnd(p []byte, i, at int) (int, error) {
	for j := i; j < len(p) && j-i <= maxLineBytes; j++ {
		if p[j] == '\n' {
			return j, nil
		}
	}
	return 0, fmt.Errorf("pickle: text argument of the opcode at byte %d has no newline within %d bytes", at, maxLineBytes)
}

// allowedGlobal is the allow list of Python globals a saved float tensor refers to.
func allowedGlobal(module, name string) bool {
	switch module + "." + name {
	case "torch._utils._rebuild_tensor_v2", "collections.OrderedDict",
		"torch.FloatStorage", "torch.HalfStorage", "torch.BFloat16Storage":
		return true
	}
	return false
}
