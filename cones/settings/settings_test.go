package settings

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sample() Settings {
	s := Defaults(512, 768)
	s.Prompt = "a mug and a dog on the beach, naïve style 🐕"
	s.Model = "sd21base"
	s.Seed = MaxSeed
	s.Subjects = []Subject{{Word: "dog", Residual: "ab12"}, {Word: "mug", Residual: "cd34"}}
	s.Layout = json.RawMessage(`{"format":"cones2-layout/1","subjects":[]}`)
	return s
}

func TestMarshalRoundTripIsASCII(t *testing.T) {
	s := sample()
	b, err := s.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range b {
		if c >= 0x80 {
			t.Fatalf("byte %d is %#x: not ASCII", i, c)
		}
	}
	if !strings.Contains(string(b), `\ud83d\udc15`) {
		t.Errorf("astral rune not escaped as a surrogate pair: %s", b)
	}
	got, err := Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, s)
	}
	if err := got.Validate([]string{"lms", "euler"}, 0); err != nil {
		t.Errorf("valid settings rejected: %v", err)
	}
}

func TestUnmarshalRejects(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"not json", `{"format":`, "settings:"},
		{"other format", `{"format":"cones2-settings/9"}`, "cones2-settings/9"},
		{"no format", `{"prompt":"x"}`, `format ""`},
		{"unknown field", `{"format":"cones2-settings/1","stepz":3}`, "stepz"},
		{"trailing", `{"format":"cones2-settings/1"} {}`, "trailing"},
		{"wrong type", `{"format":"cones2-settings/1","steps":"ten"}`, "steps"},
		{"negative seed", `{"format":"cones2-settings/1","seed":-1}`, "seed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Unmarshal([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestValidateNamesEveryBadField(t *testing.T) {
	s := Settings{Prompt: "  ", Sampler: "ddim", Steps: 0, GuidanceSteps: 3, GuidanceWeight: -1, CFGScale: 31,
		Seed: MaxSeed + 1, Width: 500, Height: 4096, Subjects: []Subject{{Word: "a"}, {Word: "a"}}}
	err := s.Validate([]string{"lms"}, 0)
	var got []string
	for _, fe := range Fields(err) {
		got = append(got, fe.Field)
	}
	want := []string{"prompt", "sampler", "steps", "guided_steps", "guidance_weight", "cfg", "seed", "width", "height", "subjects"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields %v\nwant   %v\n(%v)", got, want, err)
	}
	if !strings.Contains(err.Error(), `guided_steps: 3 is outside 0..0`) {
		t.Errorf("message: %v", err)
	}
}

// Sizes follow the model: Stable Diffusion takes multiples of 64, a model with a factor-4 VAE
// and a two-level UNet multiples of 8.
func TestValidateSizeStep(t *testing.T) {
	const small = 8 // a factor-4 VAE and a two-level UNet (cones/request's Model.SizeStep)
	s := Defaults(32, 40)
	s.Prompt = "a red circle"
	if err := s.Validate(nil, small); err != nil {
		t.Errorf("32x40 rejected with step 8: %v", err)
	}
	err := s.Validate(nil, 0)
	if fs := Fields(err); len(fs) != 2 || !strings.Contains(err.Error(), "use a multiple of 64 from 64") {
		t.Errorf("32x40 with SD's step: %v", err)
	}
	s.Width = 4
	if err := s.Validate(nil, small); err == nil || !strings.Contains(err.Error(), "multiple of 8 from 8 to 2048") {
		t.Errorf("4 px with step 8: %v", err)
	}
}

// PLMS cannot take a step twice, so pndm asks for no self-recurrence.
func TestValidatePNDMWithoutGuidedSteps(t *testing.T) {
	s := Defaults(512, 512)
	s.Prompt, s.Sampler = "a dog", "pndm"
	if err := s.Validate(nil, 0); len(Fields(err)) != 1 || Fields(err)[0].Field != "sampler" || !strings.Contains(err.Error(), "pndm") {
		t.Errorf("pndm with 50 guided steps: %v", err)
	}
	s.GuidanceSteps = 0
	if err := s.Validate(nil, 0); err != nil {
		t.Errorf("pndm without guided steps: %v", err)
	}
}

func TestValidateEdges(t *testing.T) {
	s := Defaults(64, 2048)
	s.Prompt = "x"
	s.Steps, s.GuidanceSteps, s.GuidanceWeight, s.CFGScale, s.Seed = 1, 1, 0, 0, 0
	if err := s.Validate(nil, 0); err != nil {
		t.Errorf("edge values rejected: %v", err)
	}
	s.Prompt = strings.Repeat("x", MaxPrompt+1)
	if err := s.Validate(nil, 0); err == nil {
		t.Error("over-long prompt accepted")
	}
	s.Prompt = "a\xffb"
	if err := s.Validate(nil, 0); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("invalid UTF-8: %v", err)
	}
}

func TestFormRoundTrip(t *testing.T) {
	s := sample()
	f := s.ToForm()
	got, err := FromForm(f)
	if err != nil {
		t.Fatal(err)
	}
	s.Model, s.Subjects, s.Layout = "", nil, nil
	if !reflect.DeepEqual(got, s) {
		t.Errorf("got %+v\nwant %+v", got, s)
	}
}

func TestFromFormKeepsGoodFieldsAndNamesBadOnes(t *testing.T) {
	f := Form{"prompt": "a dog", "sampler": " lms ", "steps": "20", "guided_steps": "x", "guidance_weight": "NaN",
		"cfg": "7.5", "seed": "-4", "width": " 512 ", "height": "1e3"}
	s, err := FromForm(f)
	var fields []string
	for _, fe := range Fields(err) {
		fields = append(fields, fe.Field)
	}
	if want := []string{"guided_steps", "height", "guidance_weight", "seed"}; !reflect.DeepEqual(fields, want) {
		t.Errorf("bad fields %v, want %v", fields, want)
	}
	if s.Steps != 20 || s.CFGScale != 7.5 || s.Width != 512 || s.Sampler != "lms" || s.Prompt != "a dog" {
		t.Errorf("good fields lost: %+v", s)
	}
}

func TestFieldsThroughWrapping(t *testing.T) {
	err := errors.Join(errors.New("plain"), fieldErr("a", "x"))
	wrapped := errors.Join(err, errors.Join(fieldErr("b", "y")))
	var got []string
	for _, fe := range Fields(wrapped) {
		got = append(got, fe.Field)
	}
	if !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("got %v", got)
	}
	if Fields(nil) != nil {
		t.Error("Fields(nil) not nil")
	}
}

func FuzzUnmarshal(f *testing.F) {
	s := sample()
	b, _ := s.Marshal()
	f.Add(b)
	f.Add([]byte(`{"format":"cones2-settings/1","prompt":"\u00e9"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Unmarshal(b)
		if err != nil {
			return
		}
		_ = s.Validate(nil, 0)
		out, err := s.Marshal()
		if err != nil {
			t.Fatalf("decoded settings do not encode: %v", err)
		}
		again, err := Unmarshal(out)
		if err != nil {
			t.Fatalf("re-encoded settings do not decode: %v\n%s", err, out)
		}
		if again.Prompt != s.Prompt || again.Seed != s.Seed || again.Steps != s.Steps {
			t.Fatalf("round trip changed values: %+v vs %+v", again, s)
		}
	})
}
