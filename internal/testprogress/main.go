// Command testprogress turns `go test -json` on its standard input into progress a person can
// follow while a long suite runs (make test: about 26 minutes, the browser suite most of it):
// one timestamped line per finished top-level test, per subtest that took a second or more, and
// per package, the output of every failure, a line naming what is still running after a
// minute of silence, and a summary with the failures listed again at the end. It exits 1 when
// any test, package or build failed, so `set -o pipefail` is not the only guard.
package main

import (
	"fmt"
	"os"
	"time"
)

func main() {
	p := newPrinter(os.Stdout)
	stop := p.heartbeat(10*time.Second, time.Minute)
	err := p.read(os.Stdin)
	stop()
	p.summary(time.Now())
	if err != nil {
		fmt.Fprintln(os.Stderr, "testprogress:", err)
		os.Exit(2)
	}
	if p.failed() {
		os.Exit(1)
	}
}
