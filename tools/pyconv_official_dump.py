#!/usr/bin/env python3
"""Measures the official PyConv networks (iduta/pyconv) for ConvZoo's tests.

Usage: /usr/bin/python3 tools/pyconv_official_dump.py OFFICIAL_REPO_DIR [RESOURCE_DIR]

OFFICIAL_REPO_DIR is a checkout of https://github.com/iduta/pyconv (not part of ConvZoo).
Prints, for every variant, the parameter count and the conv+linear MACs of one forward
(conv: output elements x C_in/groups x kh x kw; linear: in x out), measured with forward hooks.
With RESOURCE_DIR, also writes RESOURCE_DIR/<id>.keys.gz: one "key d0,d1,..." line per
state_dict entry in state_dict order; BatchNorm's num_batches_tracked counters are left out
(DJL has no such buffer).

pyconvresnet_small is ConvZoo's own small-image variant, assembled here from the official
PyConvBasicBlock2 and PyConvResNet._make_layer: 3x3 stride-1 stem of 32 channels, widths
32/64/128/256, layer1 not strided, layer1 groups [1, 4, 8, 8] (8-channel levels cannot hold 16 groups).
"""
import gzip
import os
import sys
import types

import torch
import torch.nn as nn


def load_official(repo):
    try:
        import requests  # noqa: F401  (only used by the official download helper)
    except ImportError:
        sys.modules["requests"] = types.ModuleType("requests")
    sys.path.insert(0, repo)
    from models import pyconvresnet, pyconvhgresnet
    return pyconvresnet, pyconvhgresnet


def small_variant(pyconvresnet, num_classes=10, in_channels=1):
    base = pyconvresnet.PyConvResNet

    class Small(base):
        def __init__(self):
            nn.Module.__init__(self)
            block = pyconvresnet.PyConvBasicBlock2
            self.inplanes = 32
            self.conv1 = nn.Conv2d(in_channels, 32, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(32)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = self._make_layer(block, 32, 2, stride=1, pyconv_kernels=[3, 5, 7, 9],
                                           pyconv_groups=[1, 4, 8, 8])
            self.layer2 = self._make_layer(block, 64, 2, stride=2, pyconv_kernels=[3, 5, 7],
                                           pyconv_groups=[1, 4, 8])
            self.layer3 = self._make_layer(block, 128, 2, stride=2, pyconv_kernels=[3, 5],
                                           pyconv_groups=[1, 4])
            self.layer4 = self._make_layer(block, 256, 2, stride=2, pyconv_kernels=[3], pyconv_groups=[1])
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.dp = None
            self.fc = nn.Linear(256, num_classes)

    return Small()


def macs(model, input_shape):
    total = [0]

    def conv_hook(m, inp, out):
        kh, kw = m.kernel_size
        total[0] += out.numel() // out.shape[0] * (m.in_channels // m.groups) * kh * kw

    def linear_hook(m, inp, out):
        total[0] += m.in_features * m.out_features

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        model(torch.zeros(*input_shape))
    for h in hooks:
        h.remove()
    return total[0]


def main():
    repo = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) > 2 else None
    pyconvresnet, pyconvhgresnet = load_official(repo)
    variants = [
        ("pyconvresnet18", lambda: pyconvresnet.pyconvresnet18(), (1, 3, 224, 224)),
        ("pyconvresnet34", lambda: pyconvresnet.pyconvresnet34(), (1, 3, 224, 224)),
        ("pyconvresnet50", lambda: pyconvresnet.pyconvresnet50(), (1, 3, 224, 224)),
        ("pyconvresnet101", lambda: pyconvresnet.pyconvresnet101(), (1, 3, 224, 224)),
        ("pyconvresnet152", lambda: pyconvresnet.pyconvresnet152(), (1, 3, 224, 224)),
        ("pyconvhgresnet50", lambda: pyconvhgresnet.pyconvhgresnet50(), (1, 3, 224, 224)),
        ("pyconvhgresnet101", lambda: pyconvhgresnet.pyconvhgresnet101(), (1, 3, 224, 224)),
        ("pyconvhgresnet152", lambda: pyconvhgresnet.pyconvhgresnet152(), (1, 3, 224, 224)),
        ("pyconvresnet_small", lambda: small_variant(pyconvresnet), (1, 1, 28, 28)),
    ]
    only = set(sys.argv[3].split(",")) if len(sys.argv) > 3 else None
    for name, make, shape in variants:
        model = make()
        params = sum(p.numel() for p in model.parameters())
        print(f"{name}\tparams={params}\tmacs@{'x'.join(map(str, shape))}={macs(model, shape)}", flush=True)
        if out_dir and (only is None or name in only):
            os.makedirs(out_dir, exist_ok=True)
            lines = [f"{k} {','.join(map(str, v.shape))}" for k, v in model.state_dict().items()
                     if not k.endswith("num_batches_tracked")]
            with gzip.open(os.path.join(out_dir, name + ".keys.gz"), "wt") as f:
                f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
