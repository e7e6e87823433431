package subject

import (
	"fmt"

	"github.com/gomlx/gomlx/pkg/core/dtypes"
	"github.com/gomlx/gomlx/pkg/core/shapes"
	"github.com/gomlx/gomlx/pkg/core/tensors"
	gctx "github.com/gomlx/gomlx/pkg/ml/context"
)

func shapeOf(dims ...int) shapes.Shape { return shapes.Make(dtypes.Float32, dims...) }

// zeroTensor is a float32 tensor of zeros.
func zeroTensor(s shapes.Shape) *tensors.Tensor {
	return tensors.FromFlatDataAndDimensions(make([]float32, s.Size()), s.Dimensions...)
}

// variableData copies a float32 variable's value to the host.
func variableData(v *gctx.Variable) ([]float32, error) {
	val, err := v.Value()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.ScopeAndName(), err)
	}
	data, err := tensors.CopyFlatData[float32](val)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", v.ScopeAndName(), err)
	}
	return data, nil
}
