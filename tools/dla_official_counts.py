#!/usr/bin/python3
"""Measures the official Res2Net-DLA models (Res2Net/Res2Net-PretrainedModels dla.py) for the ConvZoo tests.

Usage: /usr/bin/python3 tools/dla_official_counts.py OFFICIAL_DIR [OUT_DIR]

OFFICIAL_DIR holds the unmodified official dla.py (not part of this repository). For res2net_dla60 and
res2next_dla60 it prints the learnable parameter count at 1000 classes and the conv + linear
multiply-accumulates of one 1x3x224x224 forward, measured with forward hooks
(res2net_official_counts.conv_linear_macs). The count includes the projections the official Tree
computes and then ignores (a Tree with levels > 1 hands its residual to a Tree, which makes its own):
ConvZoo computes them too. With OUT_DIR it also writes "<key> <d0,d1,...>" state_dict listings, gzip'd,
for the names test.
"""
import gzip
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from res2net_official_counts import conv_linear_macs  # noqa: E402


def main():
    sys.path.insert(0, sys.argv[1])
    import dla
    out_dir = sys.argv[2] if len(sys.argv) > 2 else None
    for name in ('res2net_dla60', 'res2next_dla60'):
        torch.manual_seed(0)
        model = getattr(dla, name)()
        params = sum(p.numel() for p in model.parameters())
        macs = conv_linear_macs(model, (1, 3, 224, 224))
        print(f"{name} params={params} macs={macs} input=1x3x224x224", flush=True)
        if out_dir:
            with gzip.open(os.path.join(out_dir, f"{name}.keys.txt.gz"), "wt") as f:
                for key, value in model.state_dict().items():
                    f.write(f"{key} {','.join(str(d) for d in value.shape)}\n")


if __name__ == "__main__":
    main()
