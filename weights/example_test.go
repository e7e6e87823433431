package weights_test

import (
	"fmt"

	"github.com/cones2web/cones2/weights"
)

// An engine walks the description to build its graph: blocks in forward order, each resnet
// with its channels (skip included), each transformer with its heads.
func ExampleDescribeUNet() {
	_, cfg, _ := weights.TinyConfigs(weights.TinySD21Base, make([]string, 600), "!", weights.F16)
	u, err := weights.DescribeUNet(cfg)
	if err != nil {
		panic(err)
	}
	show := func(b weights.Block) {
		fmt.Printf("%s %s %d->%d\n", b.Name, b.Type, b.In, b.Out)
		for i, r := range b.Resnets {
			fmt.Printf("  resnet in=%d (skip %d) out=%d shortcut=%v", r.In, r.Skip, r.Out, r.Shortcut != nil)
			if i < len(b.Attentions) {
				a := b.Attentions[i].Blocks[0].Attn2
				fmt.Printf(" + cross-attention %dx%d", a.Heads, a.HeadDim)
			}
			fmt.Println()
		}
		if b.Downsample != nil {
			fmt.Println("  downsample", b.Downsample.Name)
		}
		if b.Upsample != nil {
			fmt.Println("  upsample", b.Upsample.Name)
		}
	}
	for _, b := range u.Down {
		show(b)
	}
	show(u.Mid)
	for _, b := range u.Up {
		show(b)
	}
	fmt.Println(len(u.Params()), "parameters")
	// Output:
	// down_blocks.0 CrossAttnDownBlock2D 32->32
	//   resnet in=32 (skip 0) out=32 shortcut=false + cross-attention 2x16
	//   resnet in=32 (skip 0) out=32 shortcut=false + cross-attention 2x16
	//   downsample down_blocks.0.downsamplers.0.conv
	// down_blocks.1 CrossAttnDownBlock2D 32->64
	//   resnet in=32 (skip 0) out=64 shortcut=true + cross-attention 4x16
	//   resnet in=64 (skip 0) out=64 shortcut=false + cross-attention 4x16
	//   downsample down_blocks.1.downsamplers.0.conv
	// down_blocks.2 DownBlock2D 64->64
	//   resnet in=64 (skip 0) out=64 shortcut=false
	//   resnet in=64 (skip 0) out=64 shortcut=false
	// mid_block UNetMidBlock2DCrossAttn 64->64
	//   resnet in=64 (skip 0) out=64 shortcut=false + cross-attention 4x16
	//   resnet in=64 (skip 0) out=64 shortcut=false
	// up_blocks.0 UpBlock2D 64->64
	//   resnet in=128 (skip 64) out=64 shortcut=true
	//   resnet in=128 (skip 64) out=64 shortcut=true
	//   resnet in=128 (skip 64) out=64 shortcut=true
	//   upsample up_blocks.0.upsamplers.0.conv
	// up_blocks.1 CrossAttnUpBlock2D 64->64
	//   resnet in=128 (skip 64) out=64 shortcut=true + cross-attention 4x16
	//   resnet in=128 (skip 64) out=64 shortcut=true + cross-attention 4x16
	//   resnet in=96 (skip 32) out=64 shortcut=true + cross-attention 4x16
	//   upsample up_blocks.1.upsamplers.0.conv
	// up_blocks.2 CrossAttnUpBlock2D 64->32
	//   resnet in=96 (skip 32) out=32 shortcut=true + cross-attention 2x16
	//   resnet in=64 (skip 32) out=32 shortcut=true + cross-attention 2x16
	//   resnet in=64 (skip 32) out=32 shortcut=true + cross-attention 2x16
	// 494 parameters
}

// The browser's loading path: bind a description to the tensor tables of manifest.json, then
// fetch each parameter's byte range and upload it as float16.
func ExampleBind() {
	te, err := weights.DescribeTextEncoder(weights.TextEncoderConfig{VocabSize: 10, HiddenSize: 8,
		IntermediateSize: 16, NumHiddenLayers: 1, NumAttentionHeads: 2, MaxPositionEmbeddings: 4,
		HiddenAct: "gelu", LayerNormEps: 1e-5})
	if err != nil {
		panic(err)
	}
	var files []weights.ManifestTensor
	at := int64(512)
	for _, p := range te.Params() {
		if p.Optional {
			continue
		}
		n := int64(p.NumElements() * 2)
		files = append(files, weights.ManifestTensor{Name: p.Name, DType: weights.F16, Shape: p.Shape, Range: [2]int64{at, at + n}})
		at += n
	}
	mf := weights.ManifestFile{Path: "text_encoder/model.safetensors", Size: at, DataStart: 512, Tensors: files}
	h, err := mf.Header()
	if err != nil {
		panic(err)
	}
	plan, err := weights.Bind(te, []*weights.Header{h})
	if err != nil {
		panic(err)
	}
	s := plan.Sources[0]
	fmt.Printf("%s: GET %s bytes=%d-%d (%s %v)\n", s.Param.Name, s.File, s.Tensor.Begin, s.Tensor.End-1, s.Tensor.DType, s.Tensor.Shape)
	// Output:
	// text_model.embeddings.token_embedding.weight: GET text_encoder/model.safetensors bytes=512-671 (F16 [10 8])
}
