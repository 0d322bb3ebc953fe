#!/usr/bin/python3
"""Reference numbers for ConvZoo's OctResNet, measured on the official PyTorch code.

Usage (Debian's PyTorch; the official code is NOT part of this repository):
    /usr/bin/python3 tools/octresnet_reference.py --official /tmp/octconv_official \
        [--dump zoo/src/test/resources/io/convzoo/zoo/arch/octconv]

--official is a directory holding the official octconv.py and oct_resnet.py
(d-li14/octconv.pytorch). For every variant the script prints the parameter count and the
conv+linear MACs of one 1x3x224x224 forward (forward hooks on nn.Conv2d / nn.Linear). With
--dump it writes "<key> <d0>x<d1>x..." lines of the official state_dict (num_batches_tracked
buffers left out: DJL's BatchNorm has no such counter) as <model>.keys.gz, and value fixtures of
three tiny official Bottlenecks (weights, input, eval-mode output) as <name>.values.gz.

Other alphas: the official classes hard-code alpha = 0.5 (Bottleneck conv2/conv3, _make_layer
defaults), so for alpha != 0.5 every 0.5 handed to Conv_BN / Conv_BN_ACT is replaced by alpha.

oct_resnet_small is ConvZoo's own small-image layout, assembled here from the official Bottleneck
and Conv_BN classes: 3x3/1 stem of width 32 (no max pool), planes 16/32/64/128, layer1 and layer2
carry the low-frequency path, layer3 merges it (output=True, as the official layer4) and layer4
is plain, so 28x28 inputs never need a low-frequency map of odd size.
"""
import argparse
import gzip
import io
import os
import sys

import torch
import torch.nn as nn

VARIANTS = ["oct_resnet26", "oct_resnet50", "oct_resnet101", "oct_resnet152", "oct_resnet200"]


def patch_alpha(octconv_module, alpha):
    """Makes every Conv_BN / Conv_BN_ACT built with alpha 0.5 use `alpha` instead."""
    for cls in (octconv_module.Conv_BN, octconv_module.Conv_BN_ACT):
        original = cls.__dict__.get("_convzoo_original_init", cls.__init__)
        cls._convzoo_original_init = original

        def init(self, *args, alpha_in=0.5, alpha_out=0.5, _original=original, **kwargs):
            swap = lambda a: alpha if a == 0.5 else a
            _original(self, *args, alpha_in=swap(alpha_in), alpha_out=swap(alpha_out), **kwargs)

        cls.__init__ = init


def open_gz(path):
    """A text writer to a gzip file with a fixed header time, so reruns give identical bytes."""
    return io.TextIOWrapper(gzip.GzipFile(path, "wb", mtime=0), encoding="utf-8")


def count_params(model):
    return sum(p.numel() for p in model.parameters())


def count_macs(model, size, in_channels=3):
    macs = [0]

    def conv_hook(module, inputs, output):
        k = module.kernel_size[0] * module.kernel_size[1]
        macs[0] += output.numel() * (module.in_channels // module.groups) * k

    def linear_hook(module, inputs, output):
        macs[0] += output.numel() * module.in_features

    handles = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    model.eval()
    with torch.no_grad():
        out = model(torch.zeros(1, in_channels, size, size))
    for h in handles:
        h.remove()
    return macs[0], tuple(out.shape)


def key_lines(model):
    lines = []
    for key, value in model.state_dict().items():
        if key.endswith("num_batches_tracked"):
            continue
        lines.append(key + " " + "x".join(str(d) for d in value.shape))
    return lines


def small_model(oct_resnet, alpha, num_classes=10, in_channels=1):
    """ConvZoo's oct_resnet_small layout from the official Bottleneck / Conv_BN."""
    octconv = sys.modules["octconv"]
    block = oct_resnet.Bottleneck

    class Small(nn.Module):
        def __init__(self):
            super().__init__()
            self.inplanes = 32
            self.conv1 = nn.Conv2d(in_channels, 32, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(32)
            self.relu = nn.ReLU(inplace=True)
            self.layer1 = self._make_layer(16, 2, 1, 0, alpha, False)
            self.layer2 = self._make_layer(32, 2, 2, alpha, alpha, False)
            self.layer3 = self._make_layer(64, 2, 2, alpha, 0, True)
            self.layer4 = self._make_layer(128, 2, 2, 0, 0, True)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(128 * 4, num_classes)

        def _make_layer(self, planes, blocks, stride, a_in, a_out, output):
            # Same as the official _make_layer, except that the later blocks of a layer that keeps
            # the low path use `alpha` (the official code writes 0.5 there).
            downsample = None
            if stride != 1 or self.inplanes != planes * 4:
                downsample = nn.Sequential(octconv.Conv_BN(self.inplanes, planes * 4, kernel_size=1, stride=stride,
                                                           alpha_in=a_in, alpha_out=a_out))
            layers = [block(self.inplanes, planes, stride, downsample, 1, 64, a_in, a_out, nn.BatchNorm2d, output)]
            self.inplanes = planes * 4
            for _ in range(1, blocks):
                layers.append(block(self.inplanes, planes, alpha_in=0 if output else alpha,
                                    alpha_out=0 if output else alpha, output=output))
            return nn.Sequential(*layers)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.layer3(x)
            x = self.layer4(x)
            x_h = x[0] if type(x) is tuple else x
            return self.fc(torch.flatten(self.avgpool(x_h), 1))

    return Small()


# Tiny official Bottlenecks for value fixtures: (name, inplanes, planes, stride, alpha_in, alpha_out,
# output, input size). Each has a downsample Conv_BN as _make_layer would build it.
BOTTLENECK_FIXTURES = [
    ("bottleneck_first", 8, 4, 1, 0.0, 0.5, False, 8),
    ("bottleneck_normal_s2", 8, 4, 2, 0.5, 0.5, False, 8),
    ("bottleneck_output_s2", 8, 4, 2, 0.5, 0.0, True, 8),
]


def write_bottleneck_fixtures(octconv, oct_resnet, out_dir):
    """Writes <name>.values.gz: 'key shape v0 v1 ...' lines for every state_dict entry (random
    weights and BatchNorm statistics), then input_h / input_l and output_h / output_l in eval mode."""
    torch.manual_seed(0)
    for name, inplanes, planes, stride, a_in, a_out, output, size in BOTTLENECK_FIXTURES:
        downsample = nn.Sequential(octconv.Conv_BN(inplanes, planes * 4, kernel_size=1, stride=stride,
                                                   alpha_in=a_in, alpha_out=a_out))
        block = oct_resnet.Bottleneck(inplanes, planes, stride, downsample, 1, 64, a_in, a_out,
                                      nn.BatchNorm2d, output)
        with torch.no_grad():
            for key, value in block.state_dict().items():
                if key.endswith("num_batches_tracked"):
                    continue
                if key.endswith("running_var"):
                    value.copy_(torch.rand_like(value) + 0.5)
                else:
                    value.copy_(torch.randn_like(value) * 0.5)
        block.eval()
        low_in = int(a_in * inplanes)
        x_h = torch.randn(1, inplanes - low_in, size, size)
        x = (x_h, torch.randn(1, low_in, size // 2, size // 2)) if low_in > 0 else x_h
        with torch.no_grad():
            y_h, y_l = block(x)
        tensors = [(k, v) for k, v in block.state_dict().items() if not k.endswith("num_batches_tracked")]
        tensors.append(("input_h", x_h))
        if low_in > 0:
            tensors.append(("input_l", x[1]))
        tensors.append(("output_h", y_h))
        if y_l is not None:
            tensors.append(("output_l", y_l))
        with open_gz(os.path.join(out_dir, name + ".values.gz")) as f:
            for key, value in tensors:
                dims = "x".join(str(d) for d in value.shape)
                f.write(key + " " + dims + " " + " ".join("%.9g" % v for v in value.flatten().tolist()) + "\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--official", required=True)
    parser.add_argument("--dump", default=None)
    parser.add_argument("--alphas", default="0.5,0.25")
    parser.add_argument("--dump-models", default="oct_resnet26,oct_resnet50")
    args = parser.parse_args()
    sys.path.insert(0, args.official)
    import octconv
    import oct_resnet

    if args.dump:
        os.makedirs(args.dump, exist_ok=True)
        write_bottleneck_fixtures(octconv, oct_resnet, args.dump)

    for alpha in [float(a) for a in args.alphas.split(",")]:
        patch_alpha(octconv, alpha)
        for name in VARIANTS:
            model = getattr(oct_resnet, name)()
            macs, out = count_macs(model, 224)
            print(f"{name} alpha={alpha} params={count_params(model)} macs224={macs} out={out}")
            if args.dump and alpha == 0.5 and name in args.dump_models.split(","):
                os.makedirs(args.dump, exist_ok=True)
                with open_gz(os.path.join(args.dump, name + ".keys.gz")) as f:
                    f.write("\n".join(key_lines(model)) + "\n")
        # The swap stays active: the official Bottleneck hard-codes 0.5 for conv2/conv3.
        small = small_model(oct_resnet, alpha)
        for size in (28, 32):
            macs, out = count_macs(small, size, in_channels=1)
            print(f"oct_resnet_small alpha={alpha} params={count_params(small)} macs{size}={macs} out={out}")


if __name__ == "__main__":
    main()
