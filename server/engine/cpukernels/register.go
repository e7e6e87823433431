package cpukernels

import (
	"fmt"
	"log"
	"os"
	"reflect"
	"sync"
	"unsafe"

	"github.com/gomlx/gomlx/backends"
	"github.com/gomlx/gomlx/backends/simplego"
	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
)

// GoMLXVersion is the GoMLX release whose simplego internals the mirror structs below copy.
const GoMLXVersion = "v0.26.0"

// executor is simplego's nodeExecutor: the inputs' buffers, which of them this node may reuse,
// and the output buffer it returns.
type executor = func(backend *simplego.Backend, node *simplego.Node, inputs []*simplego.Buffer, inputsOwned []bool) (*simplego.Buffer, error)

// priorityUser is simplego's registerPriority for "custom user overrides" (exec.go): above the
// generic (0), typed (1) and architecture-specific (10) executors, so ours wins whatever the
// order of package initialisation.
const priorityUser = 100

//go:linkname setNodeExecutor github.com/gomlx/gomlx/backends/simplego.setNodeExecutor
func setNodeExecutor(opType backends.OpType, priority int, exec executor)

// nodeExecutors is simplego's executor table, read once at registration for the executors that
// ours hand back to (other dtypes, unusual shapes).
//
//go:linkname nodeExecutors github.com/gomlx/gomlx/backends/simplego.nodeExecutors
var nodeExecutors [backends.OpTypeLast]executor

//go:linkname getBufferForShape github.com/gomlx/gomlx/backends/simplego.(*Backend).getBufferForShape
func getBufferForShape(b *simplego.Backend, shape shapes.Shape) *simplego.Buffer

//go:linkname putBuffer github.com/gomlx/gomlx/backends/simplego.(*Backend).putBuffer
func putBuffer(b *simplego.Backend, buffer *simplego.Buffer)

// nodeMirror is simplego.Node of GoMLX v0.26.0 (builder.go), field for field.
type nodeMirror struct {
	builderIdx         int
	inputs             []*simplego.Node
	opType             backends.OpType
	shape              shapes.Shape
	builder            *simplego.Builder
	multiOutputsShapes []shapes.Shape
	multiOutputsNodes  []*simplego.Node
	isNodeSelectOutput bool
	selectOutputIdx    int
	data               any
}

// bufferMirror is simplego.Buffer of GoMLX v0.26.0 (buffers.go).
type bufferMirror struct {
	shape shapes.Shape
	valid bool
	flat  any
}

// dotGeneralMirror is simplego's dotGeneralNodeData of GoMLX v0.26.0 (dotgeneral.go): the
// operands' axes (normalised to non-negative) and the sizes of the normalised problem
// [batch, lhsCross, contracting] x [batch, rhsCross, contracting].
type dotGeneralMirror struct {
	lhsContractingAxes, lhsBatchAxes                       []int
	rhsContractingAxes, rhsBatchAxes                       []int
	batchSize, lhsCrossSize, rhsCrossSize, contractingSize int
	lhsBlockedShape, rhsBlockedShape, outputBlockedShape   shapes.Shape
}

func nodeOf(n *simplego.Node) *nodeMirror       { return (*nodeMirror)(unsafe.Pointer(n)) }
func bufferOf(b *simplego.Buffer) *bufferMirror { return (*bufferMirror)(unsafe.Pointer(b)) }

// kernels holds what registration established once; it is immutable afterwards.
type kernels struct {
	// dotGeneralData is the verified dynamic type of a DotGeneral node's data
	// (*simplego.dotGeneralNodeData); a node whose data has another type goes to simplego.
	dotGeneralData reflect.Type
	// gatherData: the same for Gather (*simplego.gatherNode).
	gatherData reflect.Type
	// scatterData: the same for ScatterSum (*simplego.scatterNode).
	scatterData reflect.Type
	// offsets memoises the broadcast patterns of the elementwise ops.
	offsets offsetCache
	// fallback holds simplego's executors of the ops replaced, as they were before.
	fallback map[backends.OpType]executor
	// micro is the matrix product's micro-kernel (SIMD where the build and CPU allow), named by
	// microName for logs and benchmarks.
	micro     microKernel
	microName string
}

var registration = sync.OnceValue(register)

// DisableEnv names the environment variable that, set to "off" when Register first runs, keeps
// simplego's own kernels: for measuring the difference, and an escape hatch.
const DisableEnv = "CONES_CPUKERNELS"

// Register installs the fast executors into simplego, once per process; later calls return the
// first call's result. On an error nothing was installed and simplego's own executors run: the
// engine is slower but correct. It is safe to call from every constructor of a backend.
func Register() error { return registration() }

// register installs the executors, or logs why it cannot (once, since it runs once) and returns
// that reason.
func register() error {
	if os.Getenv(DisableEnv) == "off" {
		err := fmt.Errorf("cpukernels: %s=off, keeping simplego's kernels", DisableEnv)
		log.Printf("%v", err)
		return err
	}
	err := install()
	if err != nil {
		log.Printf("%v", err)
	}
	return err
}

func install() error {
	if err := verifyLayout(reflect.TypeFor[nodeMirror](), reflect.TypeFor[simplego.Node]()); err != nil {
		return fmt.Errorf("cpukernels: simplego internals are not GoMLX %s's, keeping simplego's kernels: %w", GoMLXVersion, err)
	}
	if err := verifyLayout(reflect.TypeFor[bufferMirror](), reflect.TypeFor[simplego.Buffer]()); err != nil {
		return fmt.Errorf("cpukernels: simplego internals are not GoMLX %s's, keeping simplego's kernels: %w", GoMLXVersion, err)
	}
	dgType, err := probeDotGeneralData()
	if err != nil {
		return fmt.Errorf("cpukernels: simplego internals are not GoMLX %s's, keeping simplego's kernels: %w", GoMLXVersion, err)
	}
	gatherType, err := probeGatherData()
	if err != nil {
		return fmt.Errorf("cpukernels: simplego internals are not GoMLX %s's, keeping simplego's kernels: %w", GoMLXVersion, err)
	}
	scatterType, err := probeScatterData()
	if err != nil {
		return fmt.Errorf("cpukernels: simplego internals are not GoMLX %s's, keeping simplego's kernels: %w", GoMLXVersion, err)
	}
	k := &kernels{dotGeneralData: dgType, gatherData: gatherType, scatterData: scatterType, fallback: map[backends.OpType]executor{}}
	k.micro, k.microName = simdKernel()
	replaced := []backends.OpType{
		backends.OpTypeDotGeneral, backends.OpTypeGather, backends.OpTypeExp, backends.OpTypeLogistic,
		backends.OpTypeErf, backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul, backends.OpTypeDiv,
		backends.OpTypeTranspose, backends.OpTypeBroadcastInDim, backends.OpTypeReduceSum, backends.OpTypeReduceMax,
		backends.OpTypeScatterSum,
	}
	for _, op := range replaced {
		if nodeExecutors[op] == nil {
			return fmt.Errorf("cpukernels: simplego has no executor of %s to fall back to", op)
		}
		k.fallback[op] = nodeExecutors[op]
	}
	// Executors are made after fallback is filled: they capture their fallback.
	ours := map[backends.OpType]executor{
		backends.OpTypeDotGeneral: k.execDotGeneral,
		backends.OpTypeGather:     k.execGather,
		backends.OpTypeScatterSum: k.execScatterSum,
	}
	ours[backends.OpTypeExp] = k.unaryExecutor(backends.OpTypeExp, expSlice)
	ours[backends.OpTypeLogistic] = k.unaryExecutor(backends.OpTypeLogistic, logistic)
	ours[backends.OpTypeErf] = k.unaryExecutor(backends.OpTypeErf, erfSlice)
	for _, op := range []backends.OpType{backends.OpTypeAdd, backends.OpTypeSub, backends.OpTypeMul, backends.OpTypeDiv} {
		ours[op] = k.binaryExecutor(op)
	}
	ours[backends.OpTypeTranspose] = k.movementExecutor(backends.OpTypeTranspose)
	ours[backends.OpTypeBroadcastInDim] = k.movementExecutor(backends.OpTypeBroadcastInDim)
	ours[backends.OpTypeReduceSum] = k.reduceExecutor(backends.OpTypeReduceSum)
	ours[backends.OpTypeReduceMax] = k.reduceExecutor(backends.OpTypeReduceMax)
	for _, op := range replaced {
		setNodeExecutor(op, priorityUser, ours[op])
	}
	return nil
}

func shapesMake(dims ...int) shapes.Shape      { return shapes.Make(dtypes.Float32, dims...) }
func shapesMakeInt32(dims ...int) shapes.Shape { return shapes.Make(dtypes.Int32, dims...) }

// verifyLayout reports whether mirror can stand for actual through an unsafe pointer
// conversion: the same size and, field by field, the same names, types and offsets.
func verifyLayout(mirror, actual reflect.Type) error {
	if mirror.Kind() != reflect.Struct || actual.Kind() != reflect.Struct {
		return fmt.Errorf("layout of %s: %s and %s are not both structs", actual, mirror, actual)
	}
	if mirror.NumField() != actual.NumField() {
		return fmt.Errorf("layout of %s: %d fields, the mirror has %d", actual, actual.NumField(), mirror.NumField())
	}
	for i := range mirror.NumField() {
		m, a := mirror.Field(i), actual.Field(i)
		if m.Name != a.Name || m.Type != a.Type || m.Offset != a.Offset {
			return fmt.Errorf("layout of %s: field %d is %s %s at offset %d, the mirror has %s %s at offset %d",
				actual, i, a.Name, a.Type, a.Offset, m.Name, m.Type, m.Offset)
		}
	}
	if mirror.Size() != actual.Size() || mirror.Align() != actual.Align() {
		return fmt.Errorf("layout of %s: size %d align %d, the mirror has size %d align %d",
			actual, actual.Size(), actual.Align(), mirror.Size(), mirror.Align())
	}
	return nil
}
