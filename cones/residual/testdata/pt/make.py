"""Writes the .pt files of this folder with torch.save (PyTorch 1.13.1, Debian python3-torch) and
want.json with the values each must import to (float32 bit patterns, row-major), for
TestImportPTVariants. Run from this folder: /usr/bin/python3 make.py (not run by the tests)."""
import json
import numpy as np
import torch

want = {}


def save(name, t, value=None, **kw):
    torch.save(t, name, **kw)
    if value is not None:
        v = value.detach().to(torch.float32).contiguous().numpy()
        want[name] = {"shape": list(v.shape), "bits": v.reshape(-1).view(np.uint32).tolist()}


g = torch.Generator().manual_seed(7)
base = torch.randn(3, 5, generator=g)
save("float_2x5.pt", base[:2].clone(), base[:2])
half = (torch.randn(2, 4, generator=g) * 3).half()
save("half_2x4.pt", half, half)
bf = torch.randn(6, generator=g).bfloat16()
save("bfloat16_6.pt", bf, bf)
# A non-contiguous view: torch.save keeps the whole 3x5 storage, an offset and strides.
view = base.t()[1:4]  # shape [3, 3], strides (1, 5), offset 1
save("strided_view.pt", view, view)
grad = torch.randn(1, 7, generator=g).requires_grad_()
save("requires_grad_1x7.pt", grad, grad)
p4 = torch.randn(9, generator=g)
save("protocol4_9.pt", p4, p4, pickle_protocol=4)
# Not residuals: the importer must refuse these with a clear message.
save("dict.pt", {"dog": p4})
save("int64.pt", torch.arange(4))
save("scalar.pt", torch.tensor(3.0))
save("rank3.pt", torch.zeros(1, 1, 4))
with open("want.json", "w") as f:
    json.dump({"generator": "make.py with torch " + torch.__version__, "files": want}, f, indent=0)
