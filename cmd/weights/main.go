// Command weights prepares the model folders the Cones 2 server serves: it converts a
// diffusers Stable Diffusion folder to float16 shards with a manifest, verifies a served
// folder, and writes the seeded tiny default model. The work is done by package weights.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/cones2web/cones2/weights"
)

const usage = `usage: weights <command> [flags]

Commands:
  convert -in <diffusers folder> -out <folder>
        write the folder the server serves: configs and tokenizer copied, weights as
        float16 safetensors (sharded above 1 GiB), manifest.json with sizes, SHA-256
        and tensor byte ranges
  verify -dir <folder>
        re-hash every file against manifest.json, re-validate headers, check the
        tensors against the configs; exits 1 listing every problem
  tiny -out <folder> [-seed N] [-variant sd21base|sd15 | -like <model folder>] [-f32]
        write a seeded random model with the test fixtures' sizes (128 px images),
        or with the configs of a (small) model folder

Run "weights <command> -h" for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes one command and returns the process exit status: 0 on success, 1 when the
// work failed, 2 for a usage error.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmds := map[string]func([]string, io.Writer, io.Writer) error{
		"convert": convert,
		"verify":  verify,
		"tiny":    tiny,
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	cmd, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "weights: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	err := cmd(args[1:], stdout, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "weights %s: %v\n", args[0], err)
		return 1
	}
	return 0
}

// errUsage marks a flag problem already reported by the flag set.
var errUsage = errors.New("usage")

// newFlags returns a flag set that reports to stderr and describes the command on -h.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("weights "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: weights %s\n\nFlags:\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags and requires the named ones to be set.
func parse(fs *flag.FlagSet, args []string, required ...string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return errUsage
	}
	for _, name := range required {
		if fs.Lookup(name).Value.String() == "" {
			fmt.Fprintf(fs.Output(), "flag -%s is required\n", name)
			fs.Usage()
			return errUsage
		}
	}
	return nil
}

func convert(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("convert", "convert -in <diffusers folder> -out <folder> [-max-shard bytes]", stderr)
	in := fs.String("in", "", "diffusers Stable Diffusion folder (model_index.json, unet/, vae/, ...)")
	out := fs.String("out", "", "output folder (created; must be empty if it exists)")
	maxShard := fs.Int64("max-shard", weights.MaxShardBytes, "largest weight file in bytes; bigger components are sharded")
	quiet := fs.Bool("q", false, "do not report progress")
	if err := parse(fs, args, "in", "out"); err != nil {
		return err
	}
	opt := weights.ConvertOptions{MaxShardBytes: *maxShard}
	if !*quiet {
		opt.Logf = func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }
	}
	m, err := weights.Convert(*in, *out, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d files, %s\n", *out, len(m.Files), totalSize(m))
	return nil
}

func verify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", "verify -dir <folder>", stderr)
	dir := fs.String("dir", "", "served model folder holding manifest.json")
	if err := parse(fs, args, "dir"); err != nil {
		return err
	}
	problems := weights.Verify(*dir)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(stderr, "  %v\n", p)
		}
		return fmt.Errorf("%s: %d problem(s)", *dir, len(problems))
	}
	fmt.Fprintf(stdout, "%s: ok\n", *dir)
	return nil
}

func tiny(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("tiny", "tiny -out <folder> [-seed N] [-variant sd21base|sd15 | -like <model folder>] [-f32]", stderr)
	out := fs.String("out", "", "output folder (created; must be empty if it exists)")
	seed := fs.Uint64("seed", 0, "random seed; the same seed always gives the same bytes")
	variant := fs.String("variant", weights.TinySD21Base, "sd21base (OpenCLIP-style, linear projections) or sd15 (quick_gelu, conv projections)")
	like := fs.String("like", "", "a small model folder whose configs and pad token to take instead of -variant's")
	f32 := fs.Bool("f32", false, "store float32 weights instead of float16")
	if err := parse(fs, args, "out"); err != nil {
		return err
	}
	m, err := weights.WriteTiny(*out, weights.TinyOptions{Seed: *seed, Variant: *variant, Like: *like, Float32: *f32})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %d files, %s\n", *out, len(m.Files), totalSize(m))
	return nil
}

func totalSize(m *weights.Manifest) string {
	var n int64
	for _, f := range m.Files {
		n += f.Size
	}
	return fmt.Sprintf("%.1f MB", float64(n)/1e6)
}
