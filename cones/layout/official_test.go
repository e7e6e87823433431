package layout

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/png"
	"reflect"
	"strings"
	"testing"
)

// officialConfig is written in the official guidance_config_example.json shape.
const officialConfig = `[
  {
    "prompt": "a cat and a hat in the snow",
    "residual_dict": {"cat": "residuals/cat.pt", "hat": "residuals/hat.pt"},
    "color_context": {"0,0,255": ["hat", 3.0], "255, 0, 0": ["cat", 2.5]},
    "guidance_steps": 40,
    "guidance_weight": 0.07,
    "weight_negative": -1e8,
    "layout": "layouts/cat_hat.png",
    "subject_list": [["cat", 2], ["hat", 5]]
  }
]`

// encodePNG writes img as PNG.
func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// catHatPNG is 4x2: left column red (cat), right column blue (hat), rest white.
func catHatPNG(t testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 2))
	for y := range 2 {
		for x := range 4 {
			img.Set(x, y, color.White)
		}
		img.Set(0, y, color.RGBA{255, 0, 0, 255})
		img.Set(3, y, color.RGBA{0, 0, 255, 255})
	}
	return encodePNG(t, img)
}

func TestImportOfficial(t *testing.T) {
	l, s, err := ImportOfficial([]byte(officialConfig), catHatPNG(t))
	if err != nil {
		t.Fatal(err)
	}
	wantS := &Sampling{
		Prompt: "a cat and a hat in the snow", GuidanceSteps: 40, GuidanceWeight: 0.07, WeightNegative: -1e8,
		SubjectList: []SubjectToken{{"cat", 2}, {"hat", 5}},
		Residuals:   map[string]string{"cat": "residuals/cat.pt", "hat": "residuals/hat.pt"},
		LayoutPath:  "layouts/cat_hat.png",
	}
	if !reflect.DeepEqual(s, wantS) {
		t.Fatalf("sampling %+v\nwant %+v", s, wantS)
	}
	// Subjects come in color_context order (hat first), with masks from the colours.
	if len(l.Subjects) != 2 || l.Subjects[0].Word != "hat" || l.Subjects[1].Word != "cat" || l.Negative != -1e8 {
		t.Fatalf("layout %+v", l)
	}
	hat, cat := l.Subjects[0], l.Subjects[1]
	if hat.Weight != 3 || cat.Weight != 2.5 {
		t.Fatalf("weights %v %v", hat.Weight, cat.Weight)
	}
	wantHat := []bool{false, false, false, true, false, false, false, true}
	wantCat := []bool{true, false, false, false, true, false, false, false}
	if !reflect.DeepEqual(hat.Mask.In, wantHat) || !reflect.DeepEqual(cat.Mask.In, wantCat) || hat.Mask.W != 4 || hat.Mask.H != 2 {
		t.Fatalf("masks hat %v cat %v", hat.Mask, cat.Mask)
	}
	// A single object instead of a list is accepted too.
	obj := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(officialConfig), "["), "]")
	if _, _, err := ImportOfficial([]byte(obj), catHatPNG(t)); err != nil {
		t.Fatalf("single object: %v", err)
	}
	// Building at another size than the PNG is a size mismatch.
	if _, err := l.Build(4, 4, [][]int{{5}, {2}}); !errors.As(err, new(*SizeMismatchError)) {
		t.Fatalf("size mismatch: %v", err)
	}
}

func TestOfficialConfigErrors(t *testing.T) {
	base := func(edit func(string) string) string { return edit(officialConfig) }
	cases := []struct {
		name, in, want string
	}{
		{"not json", `[{"prompt": `, "official config: invalid JSON"},
		{"empty list", `[]`, "no entry"},
		{"missing prompt", base(func(s string) string { return strings.Replace(s, `"prompt"`, `"promt"`, 1) }), `entry 0: missing "prompt"`},
		{"missing weight", base(func(s string) string { return strings.Replace(s, `"guidance_weight"`, `"gw"`, 1) }), `missing "guidance_weight"`},
		{"fractional steps", base(func(s string) string { return strings.Replace(s, `40`, `40.5`, 1) }), "guidance_steps 40.5 is not an integer"},
		{"negative steps", base(func(s string) string { return strings.Replace(s, `40`, `-1`, 1) }), "guidance_steps -1 is not an integer"},
		{"bad colour", base(func(s string) string { return strings.Replace(s, `"0,0,255"`, `"0,0,256"`, 1) }),
			`color_context "0,0,256": unknown colour: component "256" is not an integer in 0..255`},
		{"short colour", base(func(s string) string { return strings.Replace(s, `"0,0,255"`, `"0,255"`, 1) }),
			`color_context "0,255": unknown colour: want "R,G,B"`},
		{"hex colour", base(func(s string) string { return strings.Replace(s, `"0,0,255"`, `"#0000ff"`, 1) }),
			`color_context "#0000ff": unknown colour`},
		{"duplicate colour", base(func(s string) string { return strings.Replace(s, `"255, 0, 0"`, `"0, 0,255"`, 1) }),
			`color_context "0, 0,255": same colour as "0,0,255"`},
		{"bad value", base(func(s string) string { return strings.Replace(s, `["hat", 3.0]`, `["hat"]`, 1) }),
			`color_context "0,0,255": value is not a [word, weight] pair`},
		{"string weight", base(func(s string) string { return strings.Replace(s, `["hat", 3.0]`, `["hat", "3"]`, 1) }),
			`weight of "hat" is not a number`},
		{"huge weight", base(func(s string) string { return strings.Replace(s, `["hat", 3.0]`, `["hat", 1e35]`, 1) }),
			`weight of "hat": |1e+35| exceeds`},
		{"empty context", base(func(s string) string {
			return strings.Replace(s, `{"0,0,255": ["hat", 3.0], "255, 0, 0": ["cat", 2.5]}`, `{}`, 1)
		}), `"color_context" is empty`},
		{"bad subject index", base(func(s string) string { return strings.Replace(s, `["hat", 5]`, `["hat", 77]`, 1) }),
			`subject_list "hat": index 77 is not an integer in 0..76`},
		{"bad subject pair", base(func(s string) string { return strings.Replace(s, `["hat", 5]`, `["hat"]`, 1) }),
			`subject_list: ["hat"] is not a [word, index] pair`},
		{"python infinity", base(func(s string) string { return strings.Replace(s, `-1e8`, `-Infinity`, 1) }), "invalid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseOfficialConfig([]byte(c.in))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	two := "[" + strings.Trim(strings.TrimSpace(officialConfig), "[]") + "," + strings.Trim(strings.TrimSpace(officialConfig), "[]") + "]"
	if es, err := ParseOfficialConfig([]byte(two)); err != nil || len(es) != 2 {
		t.Fatalf("two entries: %v %v", len(es), err)
	}
	if _, _, err := ImportOfficial([]byte(two), catHatPNG(t)); err == nil || !strings.Contains(err.Error(), "2 entries") {
		t.Fatalf("ImportOfficial with two entries: %v", err)
	}
}

func TestOfficialPNGErrors(t *testing.T) {
	green := image.NewRGBA(image.Rect(0, 0, 3, 3))
	for i := range green.Pix {
		green.Pix[i] = 255
	}
	_, _, err := ImportOfficial([]byte(officialConfig), encodePNG(t, green))
	if !errors.Is(err, ErrEmptyRegion) || !strings.Contains(err.Error(), `color_context "0,0,255" ("hat"): empty region: no pixel of this colour in the 3x3 layout image`) {
		t.Fatalf("absent colour: %v", err)
	}
	// 30 colours on a 1500x1500 image would take 67 MB of masks.
	var cc []string
	for i := range 30 {
		cc = append(cc, fmt.Sprintf(`"%d,0,0": ["w%d", 1]`, i, i))
	}
	many := strings.Replace(officialConfig, `"0,0,255": ["hat", 3.0], "255, 0, 0": ["cat", 2.5]`, strings.Join(cc, ", "), 1)
	_, _, err = ImportOfficial([]byte(many), encodePNG(t, image.NewGray(image.Rect(0, 0, 1500, 1500))))
	if err == nil || !strings.Contains(err.Error(), "30 regions of 1500x1500 pixels exceed the budget") {
		t.Fatalf("region budget: %v", err)
	}
	_, _, err = ImportOfficial([]byte(officialConfig), []byte("GIF89a not a png"))
	if err == nil || !strings.Contains(err.Error(), "layout image: png:") {
		t.Fatalf("not a png: %v", err)
	}
	// A PNG header claiming 100000x1 pixels is refused before decoding.
	if _, err := decodeRGB(pngHeaderOnly(100000, 1)); err == nil || !strings.Contains(err.Error(), "sides must be 1..2048") {
		t.Fatalf("huge png: %v", err)
	}
	trunc := catHatPNG(t)
	if _, err := decodeRGB(trunc[:len(trunc)-20]); err == nil {
		t.Fatal("truncated png accepted")
	}
}

// pngHeaderOnly is a PNG signature and IHDR chunk for an 8-bit RGB image of w x h.
func pngHeaderOnly(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// TestDecodeRGBKinds checks that every PNG colour type gives the stored RGB, as PIL's
// convert("RGB") does (alpha dropped, not composited).
func TestDecodeRGBKinds(t *testing.T) {
	red := [3]uint8{255, 0, 0}
	pal := image.NewPaletted(image.Rect(0, 0, 2, 1), color.Palette{color.RGBA{255, 0, 0, 255}, color.NRGBA{0, 0, 255, 10}})
	pal.Pix = []uint8{0, 1}
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	nrgba.Set(0, 0, color.NRGBA{255, 0, 0, 255})
	nrgba.Set(1, 0, color.NRGBA{0, 0, 255, 0}) // fully transparent blue stays blue
	gray := image.NewGray(image.Rect(0, 0, 2, 1))
	gray.Pix = []uint8{255, 7}
	deep := image.NewNRGBA64(image.Rect(0, 0, 2, 1))
	deep.Set(0, 0, color.NRGBA64{0xffff, 0, 0, 0xffff})
	deep.Set(1, 0, color.NRGBA64{0, 0, 0xff80, 0x8000})
	cases := []struct {
		name string
		img  image.Image
		want [2][3]uint8
	}{
		{"paletted with alpha", pal, [2][3]uint8{red, {0, 0, 255}}},
		{"nrgba", nrgba, [2][3]uint8{red, {0, 0, 255}}},
		{"gray", gray, [2][3]uint8{{255, 255, 255}, {7, 7, 7}}},
		{"16-bit", deep, [2][3]uint8{red, {0, 0, 255}}},
	}
	for _, c := range cases {
		im, err := decodeRGB(encodePNG(t, c.img))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		for p := range 2 {
			if got := [3]uint8(im.Pix[3*p : 3*p+3]); got != c.want[p] {
				t.Errorf("%s: pixel %d = %v, want %v", c.name, p, got, c.want[p])
			}
		}
	}
}
