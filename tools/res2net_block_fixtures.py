#!/usr/bin/env python3
"""Writes numeric fixtures of the official Res2Net bottlenecks for Res2NetOfficialFixtureTest.

Usage: /usr/bin/python3 tools/res2net_block_fixtures.py OFFICIAL_DIR OUT_FILE.txt.gz

OFFICIAL_DIR holds unmodified copies of the official res2net.py, res2next.py and res2net_v1b.py
(not part of this repository). Each case builds one official block on a tiny configuration, wrapped
with the downsample the official _make_layer would give it, sets every parameter and BatchNorm
statistic to seeded random values, and records the eval-mode output for a random input.

Format, one record per line:
  case NAME inChannels planes stride baseWidth scale cardinality shortcut(v1|v1b) stage(0|1)
  param KEY d0,d1,.. v0 v1 ...
  input d0,d1,.. v0 v1 ...
  output d0,d1,.. v0 v1 ...
  end
"""
import gzip
import sys

import torch
import torch.nn as nn

sys.path.insert(0, sys.argv[1])
import res2net  # noqa: E402
import res2next  # noqa: E402
import res2net_v1b  # noqa: E402

CASES = [
    # name, inChannels, planes, stride, baseWidth, scale, cardinality, shortcut, input H=W
    ("v1_stage_stride2", 8, 8, 2, 16, 4, 1, "v1", 7),
    ("v1_normal", 32, 8, 1, 16, 4, 1, "v1", 5),
    ("v1_stage_stride1", 8, 8, 1, 16, 4, 1, "v1", 5),
    ("v1b_stage_stride2", 8, 8, 2, 16, 4, 1, "v1b", 7),
    ("v1b_stage_stride1", 8, 8, 1, 16, 4, 1, "v1b", 5),
    ("v1_normal_scale6", 16, 4, 1, 64, 6, 1, "v1", 4),
    ("res2next_stage_stride2", 8, 8, 2, 16, 4, 2, "v1", 6),
    ("res2next_normal", 32, 8, 1, 16, 4, 2, "v1", 5),
]


def downsample(kind, inplanes, planes, stride):
    out = planes * 4
    if stride == 1 and inplanes == out:
        return None
    if kind == "v1":
        return nn.Sequential(nn.Conv2d(inplanes, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))
    return nn.Sequential(nn.AvgPool2d(stride, stride, ceil_mode=True, count_include_pad=False),
                         nn.Conv2d(inplanes, out, 1, stride=1, bias=False), nn.BatchNorm2d(out))


def fmt(t):
    flat = t.detach().reshape(-1).tolist()
    return ",".join(str(d) for d in t.shape) + " " + " ".join(f"{v:.8g}" for v in flat)


def main():
    gen = torch.Generator().manual_seed(2019)
    with gzip.open(sys.argv[2], "wt") as f:
        for name, inplanes, planes, stride, base, scale, card, kind, size in CASES:
            ds = downsample(kind, inplanes, planes, stride)
            stype = "stage" if ds is not None else "normal"
            if card > 1:
                block = res2next.Bottle2neckX(inplanes, planes, base, card, stride, ds, scale=scale, stype=stype)
            elif kind == "v1b":
                block = res2net_v1b.Bottle2neck(inplanes, planes, stride, ds, baseWidth=base, scale=scale, stype=stype)
            else:
                block = res2net.Bottle2neck(inplanes, planes, stride, ds, baseWidth=base, scale=scale, stype=stype)
            state = block.state_dict()
            for key, value in state.items():
                if key.endswith("num_batches_tracked"):
                    continue
                r = torch.rand(value.shape, generator=gen) * 2 - 1
                if key.endswith("running_var"):
                    r = r.abs() + 0.5
                elif value.dim() == 1 and key.endswith("weight"):
                    r = 0.5 + 0.5 * r
                state[key] = r
            block.load_state_dict(state)
            block.eval()
            x = torch.rand((1, inplanes, size, size), generator=gen) * 2 - 1
            with torch.no_grad():
                y = block(x.clone())
            f.write(f"case {name} {inplanes} {planes} {stride} {base} {scale} {card} {kind} "
                    f"{1 if stype == 'stage' else 0}\n")
            for key, value in block.state_dict().items():
                if not key.endswith("num_batches_tracked"):
                    f.write(f"param {key} {fmt(value)}\n")
            f.write(f"input {fmt(x)}\n")
            f.write(f"output {fmt(y)}\n")
            f.write("end\n")
            print(name, tuple(y.shape))


if __name__ == "__main__":
    main()
