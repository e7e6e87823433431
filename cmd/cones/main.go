// Command cones is the product's command line: it serves the web app (serve) and, as the other
// stages land, generates images and trains subjects on the CPU reference engine.
package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
)

func main() {
	stop, err := startProfile()
	if err == nil {
		err = run(os.Args[1:])
		stop()
	}
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(2)
		}
		fmt.Fprintln(os.Stderr, "cones:", err)
		os.Exit(1)
	}
}

const usage = `usage: cones <command> [flags]

commands:
  serve      serve the web app and the model weights
  generate   generate an image with Cones 2 on the CPU reference engine
  train      train a subject (a residual file) from a few photos
  pretrain   train the default model from scratch on the synthetic shapes world
  eval       measure a shapes-world model by its pixels (docs/evaluation.md)
  benchgpu   benchmark the WebGPU kernels in headless Chromium
`

func run(args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(rest)
	case "generate":
		return runGenerate(rest)
	case "train":
		return runTrain(rest)
	case "pretrain":
		return runPretrain(rest)
	case "eval":
		return runEval(rest)
	case "benchgpu":
		return runBenchGPU(rest)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(os.Stdout, usage)
		return nil
	default:
		return fmt.Errorf("unknown command %q\n%s", cmd, usage)
	}
}
