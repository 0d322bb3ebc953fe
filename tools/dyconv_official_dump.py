#!/usr/bin/python3
"""Dumps reference facts of the official dynamic-convolution ResNets and VGGs (kaijieshi7/Dynamic-convolution-Pytorch).

Run with Debian's PyTorch, pointing at a checkout of the official repository (not part of ConvZoo):

    /usr/bin/python3 tools/dyconv_official_dump.py --official /tmp/dyconv_official \
        --out zoo/src/test/resources/io/convzoo/zoo/arch/dyconv

For every model it prints the learnable parameter count and, for one 224x224 image, the MACs of
convolution and linear modules (static convs and the attention's 1x1 convs via nn.Conv2d, each
Dynamic_conv2d counted as the conv with its mixed kernel) plus the kernel-mixing MACs separately.
--only NAME... limits the run to those models (the full list takes a few minutes: the
largest, dy_wide_resnet50_2, has 276 M parameters). With --out it writes <model>.keys.txt.gz: one "key d0,d1,..." line per state_dict entry, in
state_dict order, without BatchNorm's num_batches_tracked counters (DJL has no such buffer).
"""
import argparse
import gzip
import os
import sys

import torch
import torch.nn as nn


def small_variant(dy_resnet):
    """dy_resnet_small: one basic block per stage, widths 16/32/64/128, 3x3/1 stem without pooling."""
    model = dy_resnet.ResNet(dy_resnet.BasicBlock, [1, 1, 1, 1], num_classes=10)
    model.inplanes = 16
    model.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
    model.bn1 = nn.BatchNorm2d(16)
    model.maxpool = nn.Identity()
    model.layer1 = model._make_layer(dy_resnet.BasicBlock, 16, 1)
    model.layer2 = model._make_layer(dy_resnet.BasicBlock, 32, 1, stride=2)
    model.layer3 = model._make_layer(dy_resnet.BasicBlock, 64, 1, stride=2)
    model.layer4 = model._make_layer(dy_resnet.BasicBlock, 128, 1, stride=2)
    model.fc = nn.Linear(128, 10)
    return model


def count_macs(model, dynamic_cls, shape):
    macs = {"conv": 0, "linear": 0, "dynamic": 0, "mixing": 0}

    def conv_hook(module, inputs, output):
        k = module.weight[0].numel()  # (in/groups) * kh * kw
        macs["conv"] += output.numel() * k

    def linear_hook(module, inputs, output):
        macs["linear"] += output.numel() * module.in_features

    def dynamic_hook(module, inputs, output):
        per_kernel = module.weight[0].numel()  # out * (in/groups) * k * k
        n = inputs[0].shape[0]
        macs["dynamic"] += output.numel() * per_kernel // module.out_planes
        macs["mixing"] += n * module.K * (per_kernel + (module.out_planes if module.bias is not None else 0))

    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, nn.Linear):
            m.register_forward_hook(linear_hook)
        elif isinstance(m, dynamic_cls):
            m.register_forward_hook(dynamic_hook)
    model.eval()
    with torch.no_grad():
        model(torch.randn(*shape))
    return macs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--official", required=True, help="checkout of kaijieshi7/Dynamic-convolution-Pytorch")
    parser.add_argument("--out", help="folder for the <model>.keys.txt.gz dumps")
    parser.add_argument("--only", nargs="*", help="model names to dump; all by default")
    args = parser.parse_args()
    sys.path.insert(0, args.official)
    sys.path.insert(0, os.path.join(args.official, "dynamic_models"))
    import dynamic_conv
    import dy_resnet
    import dy_vgg

    torch.manual_seed(0)
    models = {
        "dy_resnet18": (dy_resnet.resnet18, (1, 3, 224, 224)),
        "dy_resnet50": (dy_resnet.resnet50, (1, 3, 224, 224)),
        "dy_resnet_small": (lambda: small_variant(dy_resnet), (1, 1, 28, 28)),
    }
    # The other official variants (issue 20), all at the official defaults (1000 classes, 224x224).
    for function in ("resnet34", "resnet101", "resnet152", "resnext50_32x4d", "wide_resnet50_2"):
        models["dy_" + function] = (getattr(dy_resnet, function), (1, 3, 224, 224))
    for function in ("vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"):
        models["dy_" + function] = (getattr(dy_vgg, function), (1, 3, 224, 224))
    for name, (build, shape) in models.items():
        if args.only and name not in args.only:
            continue
        model = build()
        params = sum(p.numel() for p in model.parameters())
        macs = count_macs(model, dynamic_conv.Dynamic_conv2d, shape)
        total = macs["conv"] + macs["linear"] + macs["dynamic"]
        print(f"{name}: params={params} macs@{shape[2]}={total} (static conv {macs['conv']}, "
              f"dynamic conv {macs['dynamic']}, linear {macs['linear']}) kernel-mixing={macs['mixing']}")
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            path = os.path.join(args.out, name + ".keys.txt.gz")
            with gzip.open(path, "wt") as f:
                for key, value in model.state_dict().items():
                    if key.endswith("num_batches_tracked"):
                        continue
                    f.write(key + " " + ",".join(str(d) for d in value.shape) + "\n")
        del model


if __name__ == "__main__":
    main()
