#!/usr/bin/python3
"""Measures the official Oct-MobileNet (d-li14/octconv.pytorch oct_mobilenet.py) for the ConvZoo tests.

Usage: /usr/bin/python3 tools/oct_mobilenet_official_counts.py OFFICIAL_DIR [OUT_DIR]

OFFICIAL_DIR holds the unmodified official oct_mobilenet.py and octconv.py (not part of this repository).
Prints the learnable parameter count at 1000 classes and the conv + linear multiply-accumulates of one
1x3x224x224 forward (forward hooks, res2net_official_counts.conv_linear_macs); with OUT_DIR it also writes
the "<key> <d0,d1,...>" state_dict listing, gzip'd, for the names test.
"""
import gzip
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from res2net_official_counts import conv_linear_macs  # noqa: E402


def main():
    sys.path.insert(0, sys.argv[1])
    import oct_mobilenet
    out_dir = sys.argv[2] if len(sys.argv) > 2 else None
    torch.manual_seed(0)
    model = oct_mobilenet.oct_mobilenet()
    params = sum(p.numel() for p in model.parameters())
    macs = conv_linear_macs(model, (1, 3, 224, 224))
    print(f"oct_mobilenet params={params} macs={macs} input=1x3x224x224", flush=True)
    if out_dir:
        with gzip.open(os.path.join(out_dir, "oct_mobilenet.keys.txt.gz"), "wt") as f:
            for key, value in model.state_dict().items():
                f.write(f"{key} {','.join(str(d) for d in value.shape)}\n")


if __name__ == "__main__":
    main()
