#!/usr/bin/env python3
"""Measures the official Res2Net models (Res2Net/Res2Net-PretrainedModels) for the ConvZoo tests.

Usage: /usr/bin/python3 tools/res2net_official_counts.py OFFICIAL_DIR [OUT_DIR]

OFFICIAL_DIR holds unmodified copies of the official res2net.py, res2next.py and res2net_v1b.py
(they are not part of this repository). For every variant it prints the learnable parameter count
at 1000 classes and the conv + linear multiply-accumulates of one 1x3x224x224 forward, measured
with forward hooks. With OUT_DIR it also writes "<key> <d0,d1,...>" state_dict listings, gzip'd,
for the models the Java tests compare names and shapes against.

res2net_small is not an official model: it is assembled here from the official Bottle2neck and the
official Res2Net._make_layer (stem 3x3/1 to 32 channels, planes 16/32/64/128, strides 1,2,2,2) so
that its parameter count also comes from the official block code.
"""
import gzip
import os
import sys

import torch
import torch.nn as nn


def load_official(directory):
    sys.path.insert(0, directory)
    import res2net
    import res2next
    import res2net_v1b
    return res2net, res2next, res2net_v1b


def small_model(res2net, num_classes=10, in_channels=1):
    """Small-image Res2Net built from the official block and layer maker."""

    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.inplanes = 32
            self.baseWidth = 26
            self.scale = 4
            self.conv1 = nn.Conv2d(in_channels, 32, 3, 1, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(32)
            self.relu = nn.ReLU(inplace=True)
            make = res2net.Res2Net._make_layer
            self.layer1 = make(self, res2net.Bottle2neck, 16, 2)
            self.layer2 = make(self, res2net.Bottle2neck, 32, 2, stride=2)
            self.layer3 = make(self, res2net.Bottle2neck, 64, 2, stride=2)
            self.layer4 = make(self, res2net.Bottle2neck, 128, 2, stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(128 * 4, num_classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
            return self.fc(torch.flatten(self.avgpool(x), 1))

    return Small()


def conv_linear_macs(model, shape):
    total = [0]

    def hook(module, inputs, output):
        if isinstance(module, nn.Conv2d):
            kh, kw = module.kernel_size
            total[0] += output.numel() * (module.in_channels // module.groups) * kh * kw
        elif isinstance(module, nn.Linear):
            total[0] += output.numel() * module.in_features

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, (nn.Conv2d, nn.Linear))]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(*shape))
    for h in handles:
        h.remove()
    return total[0]


def main():
    res2net, res2next, v1b = load_official(sys.argv[1])
    out_dir = sys.argv[2] if len(sys.argv) > 2 else None
    variants = [
        ("res2net50_26w_4s", res2net.res2net50_26w_4s),
        ("res2net50_26w_6s", res2net.res2net50_26w_6s),
        ("res2net50_26w_8s", res2net.res2net50_26w_8s),
        ("res2net50_48w_2s", res2net.res2net50_48w_2s),
        ("res2net50_14w_8s", res2net.res2net50_14w_8s),
        ("res2net101_26w_4s", res2net.res2net101_26w_4s),
        ("res2next50", res2next.res2next50),
        ("res2net50_v1b", v1b.res2net50_v1b),
        ("res2net101_v1b", v1b.res2net101_v1b),
        ("res2net152_v1b_26w_4s", v1b.res2net152_v1b_26w_4s),
    ]
    dumped = {"res2net50_26w_4s", "res2next50", "res2net50_v1b", "res2net_small"}
    for name, fn in variants + [("res2net_small", None)]:
        torch.manual_seed(0)
        if fn is None:
            model, shape = small_model(res2net), (1, 1, 28, 28)
        else:
            model, shape = fn(), (1, 3, 224, 224)
        params = sum(p.numel() for p in model.parameters())
        macs = conv_linear_macs(model, shape)
        print(f"{name} params={params} macs={macs} input={'x'.join(map(str, shape))}", flush=True)
        if out_dir and name in dumped:
            path = os.path.join(out_dir, f"{name}.keys.txt.gz")
            with gzip.open(path, "wt") as f:
                for key, value in model.state_dict().items():
                    f.write(f"{key} {','.join(str(d) for d in value.shape)}\n")


if __name__ == "__main__":
    main()
