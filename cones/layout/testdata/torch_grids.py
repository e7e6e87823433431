"""Writes torch_grids.json: attention-grid weight maps computed by PyTorch 1.13.1 (CPU,
Debian's python3-torch, the version that produced ../shared/fixtures) following the semantics of
the official Cones 2 code, for layouts given as boxes. TestGridsMatchTorch reads it.

Run:  /usr/bin/python3 torch_grids.py   (from this folder; not run by the tests)

Per subject the region plane is where(mask, weight, negative), with weight 0 replaced by the
negative weight; planes are summed into the token columns of the subject. A query length L is
resized either from the full map by F.interpolate(scale_factor=1/sqrt(H*W/L), bilinear,
align_corners=True) on the channels-last [1,77,H,W] view, then nearest to L, or, for the four
lengths the official code precomputes (9216, 2304, 576, 144 at ratios 8, 16, 32, 64), per subject
by F.interpolate(size=(round(H/r), round(W/r)), bilinear, align_corners=True) and summed.
"""
import json, math
import numpy as np
import torch
import torch.nn.functional as F

PRECOMPUTED = {9216: 8, 2304: 16, 576: 32, 144: 64}


def mask(box, h, w):
    x0, y0, x1, y1 = box
    def span(a, b, n):
        c = lambda v: int(min(max(v, 0), n))
        return c(math.ceil(a * n - 0.5)), c(math.ceil(b * n - 0.5))
    m = np.zeros((h, w), dtype=bool)
    xa, xb = span(x0, x1, w)
    ya, yb = span(y0, y1, h)
    m[ya:yb, xa:xb] = True
    return m


def planes(case):
    h, w, neg = case["h"], case["w"], case["negative"]
    out = []
    for s in case["subjects"]:
        m = np.zeros((h, w), dtype=bool)
        for b in s["boxes"]:
            m |= mask(b, h, w)
        inside = s["weight"] if s["weight"] != 0 else neg
        p = torch.where(torch.from_numpy(m), torch.tensor(inside, dtype=torch.float32),
                        torch.tensor(neg, dtype=torch.float32))
        out.append((p, s["positions"]))
    return out


def grid(case, L):
    h, w = case["h"], case["w"]
    ps = planes(case)
    r = PRECOMPUTED.get(L)
    if r is not None and round(h / r) * round(w / r) == L:
        out = torch.zeros((L, 77), dtype=torch.float32)
        for p, pos in ps:
            small = F.interpolate(p.unsqueeze(0).unsqueeze(1), size=(round(h / r), round(w / r)),
                                  mode="bilinear", align_corners=True).reshape(-1)
            for c in pos:
                out[:, c] += small
        return out
    orig = torch.zeros((h, w, 77), dtype=torch.float32)
    for p, pos in ps:
        for c in pos:
            orig[:, :, c] += p
    ratio = math.sqrt(h * w / L)
    x = F.interpolate(orig.permute(2, 0, 1).unsqueeze(0), scale_factor=1 / ratio, mode="bilinear",
                      align_corners=True)
    x = F.interpolate(x.reshape(1, 77, -1), size=(L,), mode="nearest").permute(2, 1, 0)
    return x.reshape(L, 77)


CASES = [
    {"name": "fixture-like 128x128", "h": 128, "w": 128, "negative": -1e8, "grids": [256, 64, 16, 4, 1],
     "subjects": [
         {"word": "mug", "weight": 2.5, "positions": [2], "boxes": [[0.05, 0.3, 0.45, 0.9]]},
         {"word": "dog", "weight": 2.5, "positions": [5, 74], "boxes": [[0.5, 0.2, 0.97, 0.8]]},
     ]},
    {"name": "non-square 40x24, shared token, zero weight, two boxes", "h": 40, "w": 24, "negative": -1e8,
     "grids": [240, 60, 15, 7],
     "subjects": [
         {"word": "cat", "weight": 2.5, "positions": [3, 73], "boxes": [[0.1, 0.1, 0.5, 0.4], [0.6, 0.5, 0.9, 0.95]]},
         {"word": "hat", "weight": 1.75, "positions": [3, 8], "boxes": [[0.3, 0.2, 0.8, 0.7]]},
         {"word": "sky", "weight": 0.0, "positions": [76], "boxes": [[0.0, 0.0, 1.0, 0.3]]},
     ]},
    {"name": "768x768: precomputed maps", "h": 768, "w": 768, "negative": -1e8, "grids": [576, 144, 256],
     "subjects": [
         {"word": "dog", "weight": 2.5, "positions": [2], "boxes": [[0.1, 0.15, 0.55, 0.9]]},
         {"word": "mug", "weight": 3.0, "positions": [5, 75], "boxes": [[0.5, 0.4, 0.93, 0.77]]},
     ]},
]


def main():
    out = []
    for case in CASES:
        grids = []
        for L in case["grids"]:
            g = grid(case, L).contiguous().numpy()
            cols = sorted({c for s in case["subjects"] for c in s["positions"]})
            nz = np.nonzero(np.any(g != 0, axis=0))[0].tolist()
            assert set(nz) <= set(cols), (nz, cols)
            grids.append({"query_len": L,
                          "columns": {str(c): g[:, c].view(np.uint32).tolist() for c in cols}})
        c = dict(case)
        c["grids"] = grids
        out.append(c)
    with open("torch_grids.json", "w") as f:
        json.dump({"generator": "torch_grids.py with torch " + torch.__version__, "cases": out}, f)


if __name__ == "__main__":
    main()
