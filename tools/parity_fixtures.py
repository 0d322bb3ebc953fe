#!/usr/bin/python3
"""Writes the end-to-end parity fixtures of ConvZoo: reduced configurations of the OFFICIAL model
classes of every family, with seeded weights, saved as real PyTorch checkpoints, plus an input and
the logits the official code computes in eval mode.

Run with Debian's PyTorch (torch 1.13), pointing at checkouts of the official repositories (they
are not part of ConvZoo and never committed):

    /usr/bin/python3 tools/parity_fixtures.py \
        --pyconv  /tmp/pyconv_official          # iduta/pyconv (models/pyconvresnet.py, pyconvhgresnet.py)
        --res2net /tmp/res2net_official         # Res2Net/Res2Net-PretrainedModels (res2net.py, res2next.py, res2net_v1b.py, dla.py)
        --octconv /tmp/octconv_official         # d-li14/octconv.pytorch (oct_resnet.py, oct_mobilenet.py, octconv.py)
        --dyconv  /tmp/dyconv_official          # kaijieshi7/Dynamic-convolution-Pytorch (dynamic_conv.py, dynamic_models/)
        [--out zoo/src/test/resources/parity]

Every case is an official network class whose layers are made by the official _make_layer and the
official blocks; only the widths (and the stage depths) are smaller than the published models, so
the committed files stay small. The subclasses below replace __init__ only: forward is the official
one. The Java test OfficialParityTest builds the same configuration with the zoo builders.

For each case it writes
    <case>.pth          torch.save, zip format (torch >= 1.6)
    <case>_legacy.pth   torch.save(..., _use_new_zipfile_serialization=False), the pre-1.6 format
                        of the published Res2Net and PyConv checkpoints
    <case>.input.npy    the float32 NCHW input (batch 2)
    <case>.logits.npy   the official eval-mode logits
and for the fp16 case also <case>_fp16.pth (every float tensor stored as float16) and
<case>.logits_fp16.npy (the official logits with the float16-rounded weights, computed in float32).
cases.json lists every case with its configuration, parameter count and largest |logit|.

Weights: conv/linear weights normal with std sqrt(2 / fan_in) (then fc scaled so the logits are of
order 1), biases normal(0, 0.1), BatchNorm gamma uniform(0.5, 1.5), beta normal(0, 0.1), running
mean normal(0, 0.2), running variance uniform(0.5, 2.0) (never the 0/1 defaults),
num_batches_tracked 100. Seeded, so the tensors and logits are reproducible; the legacy files'
bytes are not (torch.save names legacy storages after memory addresses).
"""
import argparse
import json
import math
import os
import sys
import types

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'zoo', 'src', 'test', 'resources', 'parity')
NUM_CLASSES = 10
DY_TEMPERATURE = 4  # the official attention asserts T % 3 == 1; 4 makes the attention far from uniform


def import_official(args):
    # pyconv: models/ package; its download helper imports requests, which Debian may lack.
    if 'requests' not in sys.modules:
        try:
            import requests  # noqa: F401
        except ImportError:
            sys.modules['requests'] = types.ModuleType('requests')
    sys.path.insert(0, args.pyconv)
    from models import pyconvresnet, pyconvhgresnet
    for d in (args.res2net, args.octconv, os.path.join(args.octconv, 'models'), args.dyconv,
              os.path.join(args.dyconv, 'dynamic_models')):
        sys.path.insert(0, d)
    import res2net
    import res2next
    import res2net_v1b
    import oct_resnet
    import dy_resnet
    import dy_vgg
    import dynamic_conv
    return types.SimpleNamespace(pyconvresnet=pyconvresnet, pyconvhgresnet=pyconvhgresnet, res2net=res2net,
                                 res2next=res2next, res2net_v1b=res2net_v1b, oct_resnet=oct_resnet,
                                 dy_resnet=dy_resnet, dy_vgg=dy_vgg, dynamic_conv=dynamic_conv)


# ---------------------------------------------------------------- reduced official networks

def pyconv_reduced(base_cls, block, layers, widths, groups, stem):
    """Official PyConvResNet / PyConvHGResNet layout (7x7/2 stem without max pool, every layer strided)."""
    kernels = [[3, 5, 7, 9], [3, 5, 7], [3, 5], [3]]

    class Reduced(base_cls):
        def __init__(self):
            nn.Module.__init__(self)
            self.inplanes = stem
            self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(stem)
            self.relu = nn.ReLU(inplace=True)
            for i in range(4):
                setattr(self, 'layer%d' % (i + 1),
                        self._make_layer(block, widths[i], layers[i], stride=2, norm_layer=nn.BatchNorm2d,
                                         pyconv_kernels=kernels[i], pyconv_groups=groups[i]))
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.dp = None
            self.fc = nn.Linear(widths[3] * block.expansion, NUM_CLASSES)

    return Reduced()


def res2net_reduced(module, layers, planes, base_width, scale, stem, deep_stem):
    """Official Res2Net (v1) or Res2Net-v1b layout with smaller planes; deep_stem: v1b's three 3x3 convs."""

    class Reduced(module.Res2Net):
        def __init__(self):
            nn.Module.__init__(self)
            self.inplanes = stem
            self.baseWidth = base_width
            self.scale = scale
            if deep_stem:
                half = stem // 2
                self.conv1 = nn.Sequential(
                    nn.Conv2d(3, half, 3, 2, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
                    nn.Conv2d(half, half, 3, 1, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(inplace=True),
                    nn.Conv2d(half, stem, 3, 1, 1, bias=False))
                self.relu = nn.ReLU()
            else:
                self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
                self.relu = nn.ReLU(inplace=True)
            self.bn1 = nn.BatchNorm2d(stem)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(module.Bottle2neck, planes[0], layers[0])
            self.layer2 = self._make_layer(module.Bottle2neck, planes[1], layers[1], stride=2)
            self.layer3 = self._make_layer(module.Bottle2neck, planes[2], layers[2], stride=2)
            self.layer4 = self._make_layer(module.Bottle2neck, planes[3], layers[3], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(planes[3] * module.Bottle2neck.expansion, NUM_CLASSES)

    return Reduced()


def res2next_reduced(module, layers, planes, base_width, cardinality, scale, stem):
    class Reduced(module.Res2NeXt):
        def __init__(self):
            nn.Module.__init__(self)
            self.cardinality = cardinality
            self.baseWidth = base_width
            self.num_classes = NUM_CLASSES
            self.inplanes = stem
            self.output_size = stem
            self.scale = scale
            self.conv1 = nn.Conv2d(3, stem, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(stem)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool1 = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(module.Bottle2neckX, planes[0], layers[0])
            self.layer2 = self._make_layer(module.Bottle2neckX, planes[1], layers[1], 2)
            self.layer3 = self._make_layer(module.Bottle2neckX, planes[2], layers[2], 2)
            self.layer4 = self._make_layer(module.Bottle2neckX, planes[3], layers[3], 2)
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(planes[3] * module.Bottle2neckX.expansion, NUM_CLASSES)

    return Reduced()


def oct_reduced(module, layers, planes, stem):
    class Reduced(module.OctResNet):
        def __init__(self):
            nn.Module.__init__(self)
            norm_layer = nn.BatchNorm2d
            self.inplanes = stem
            self.groups = 1
            self.base_width = 64
            self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = norm_layer(stem)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            block = module.Bottleneck
            self.layer1 = self._make_layer(block, planes[0], layers[0], norm_layer=norm_layer, alpha_in=0)
            self.layer2 = self._make_layer(block, planes[1], layers[1], stride=2, norm_layer=norm_layer)
            self.layer3 = self._make_layer(block, planes[2], layers[2], stride=2, norm_layer=norm_layer)
            self.layer4 = self._make_layer(block, planes[3], layers[3], stride=2, norm_layer=norm_layer,
                                           alpha_out=0, output=True)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(planes[3] * block.expansion, NUM_CLASSES)

    return Reduced()


def dy_reduced(module, block, layers, planes, stem, groups=1, width_per_group=64):
    class Reduced(module.ResNet):
        def __init__(self):
            nn.Module.__init__(self)
            self._norm_layer = nn.BatchNorm2d
            self.inplanes = stem
            self.dilation = 1
            self.groups = groups
            self.base_width = width_per_group
            self.conv1 = nn.Conv2d(3, stem, kernel_size=7, stride=2, padding=3, bias=False)
            self.bn1 = nn.BatchNorm2d(stem)
            self.relu = nn.ReLU(inplace=True)
            self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
            self.layer1 = self._make_layer(block, planes[0], layers[0])
            self.layer2 = self._make_layer(block, planes[1], layers[1], stride=2)
            self.layer3 = self._make_layer(block, planes[2], layers[2], stride=2)
            self.layer4 = self._make_layer(block, planes[3], layers[3], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(planes[3] * block.expansion, NUM_CLASSES)

    return Reduced()


def dy_vgg_reduced(module, cfg, batch_norm):
    """Official dy_vgg.VGG on a smaller cfg (official make_layers); the classifier takes the last width x 7 x 7."""
    last = [v for v in cfg if v != 'M'][-1]

    class Reduced(module.VGG):
        def __init__(self):
            nn.Module.__init__(self)
            self.features = module.make_layers(cfg, batch_norm=batch_norm)
            self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
            self.classifier = nn.Sequential(nn.Linear(last * 7 * 7, NUM_CLASSES))

    return Reduced()


def cases(o):
    """name -> (description for cases.json, builder, input H=W). Keep in step with OfficialParityTest."""
    return {
        'pyconvresnet_reduced': (
            dict(official='pyconvresnet.PyConvResNet', block='PyConvBlock (bottleneck, expansion 4)',
                 layers=[2, 1, 1, 1], widths=[16, 16, 32, 16], stem=16,
                 groups=[[1, 2, 4, 4], [1, 2, 4], [1, 4], [1]]),
            lambda: pyconv_reduced(o.pyconvresnet.PyConvResNet, o.pyconvresnet.PyConvBlock, [2, 1, 1, 1],
                                   [16, 16, 32, 16], [[1, 2, 4, 4], [1, 2, 4], [1, 4], [1]], 16), 32),
        'pyconvresnet18_reduced': (
            dict(official='pyconvresnet.PyConvResNet', block='PyConvBasicBlock2 (expansion 1)',
                 layers=[1, 2, 1, 1], widths=[16, 16, 32, 32], stem=16,
                 groups=[[1, 2, 4, 4], [1, 2, 4], [1, 4], [1]]),
            lambda: pyconv_reduced(o.pyconvresnet.PyConvResNet, o.pyconvresnet.PyConvBasicBlock2, [1, 2, 1, 1],
                                   [16, 16, 32, 32], [[1, 2, 4, 4], [1, 2, 4], [1, 4], [1]], 16), 32),
        'pyconvhgresnet_reduced': (
            dict(official='pyconvhgresnet.PyConvHGResNet', block='PyConvBlock (bottleneck, expansion 2)',
                 layers=[2, 1, 1, 1], widths=[16, 16, 32, 32], stem=16,
                 groups=[[4, 4, 4, 4], [4, 4, 8], [4, 8], [8]]),
            lambda: pyconv_reduced(o.pyconvhgresnet.PyConvHGResNet, o.pyconvhgresnet.PyConvBlock, [2, 1, 1, 1],
                                   [16, 16, 32, 32], [[4, 4, 4, 4], [4, 4, 8], [4, 8], [8]], 16), 32),
        'res2net_reduced': (
            dict(official='res2net.Res2Net', block='Bottle2neck', layers=[2, 1, 1, 1], planes=[8, 8, 16, 16],
                 stem=16, baseWidth=26, scale=4),
            lambda: res2net_reduced(o.res2net, [2, 1, 1, 1], [8, 8, 16, 16], 26, 4, 16, False), 36),
        'res2net_v1b_reduced': (
            dict(official='res2net_v1b.Res2Net', block='Bottle2neck (v1b)', layers=[1, 1, 1, 2],
                 planes=[8, 8, 16, 16], stem=16, baseWidth=26, scale=4),
            lambda: res2net_reduced(o.res2net_v1b, [1, 1, 1, 2], [8, 8, 16, 16], 26, 4, 16, True), 36),
        'res2next_reduced': (
            dict(official='res2next.Res2NeXt', block='Bottle2neckX', layers=[2, 1, 1, 1],
                 planes=[16, 16, 16, 16], stem=16, baseWidth=4, cardinality=8, scale=4),
            lambda: res2next_reduced(o.res2next, [2, 1, 1, 1], [16, 16, 16, 16], 4, 8, 4, 16), 36),
        'oct_resnet_reduced': (
            dict(official='oct_resnet.OctResNet', block='Bottleneck (octave, alpha 0.5)', layers=[2, 1, 1, 2],
                 planes=[8, 8, 16, 16], stem=16),
            lambda: oct_reduced(o.oct_resnet, [2, 1, 1, 2], [8, 8, 16, 16], 16), 64),
        'dy_resnet18_reduced': (
            dict(official='dy_resnet.ResNet', block='BasicBlock (Dynamic_conv2d K=4)', layers=[2, 1, 1, 1],
                 planes=[8, 8, 16, 16], stem=16, temperature=DY_TEMPERATURE),
            lambda: dy_reduced(o.dy_resnet, o.dy_resnet.BasicBlock, [2, 1, 1, 1], [8, 8, 16, 16], 16), 32),
        'dy_resnet50_reduced': (
            dict(official='dy_resnet.ResNet', block='Bottleneck (Dynamic_conv2d K=4)', layers=[1, 1, 1, 1],
                 planes=[4, 8, 8, 8], stem=16, temperature=DY_TEMPERATURE),
            lambda: dy_reduced(o.dy_resnet, o.dy_resnet.Bottleneck, [1, 1, 1, 1], [4, 8, 8, 8], 16), 32),
        # issue 20: the other official dynamic-convolution variants (ResNeXt / Wide bottlenecks, the VGGs)
        'dy_resnext_reduced': (
            dict(official='dy_resnet.ResNet', block='Bottleneck (Dynamic_conv2d K=4, groups 4, width per group 16)',
                 layers=[1, 1, 1, 1], planes=[4, 8, 8, 16], stem=16, groups=4, width_per_group=16,
                 temperature=DY_TEMPERATURE),
            lambda: dy_reduced(o.dy_resnet, o.dy_resnet.Bottleneck, [1, 1, 1, 1], [4, 8, 8, 16], 16, 4, 16), 32),
        'dy_wide_resnet_reduced': (
            dict(official='dy_resnet.ResNet', block='Bottleneck (Dynamic_conv2d K=4, width per group 128)',
                 layers=[1, 1, 1, 1], planes=[4, 4, 8, 8], stem=16, groups=1, width_per_group=128,
                 temperature=DY_TEMPERATURE),
            lambda: dy_reduced(o.dy_resnet, o.dy_resnet.Bottleneck, [1, 1, 1, 1], [4, 4, 8, 8], 16, 1, 128), 32),
        'dy_vgg_reduced': (
            dict(official='dy_vgg.VGG', block='make_layers (Dynamic_conv2d K=4, no BatchNorm)',
                 cfg=[8, 'M', 16, 'M', 16, 16, 'M', 16, 'M', 16, 'M'], temperature=DY_TEMPERATURE),
            lambda: dy_vgg_reduced(o.dy_vgg, [8, 'M', 16, 'M', 16, 16, 'M', 16, 'M', 16, 'M'], False), 96),
        'dy_vgg_bn_reduced': (
            dict(official='dy_vgg.VGG', block='make_layers (Dynamic_conv2d K=4, BatchNorm)',
                 cfg=[8, 8, 'M', 16, 'M', 16, 'M', 16, 'M', 16, 16, 'M'], temperature=DY_TEMPERATURE),
            lambda: dy_vgg_reduced(o.dy_vgg, [8, 8, 'M', 16, 'M', 16, 'M', 16, 'M', 16, 16, 'M'], True), 64),
        **dla_mobilenet_cases(),
    }


# ---------------------------------------------------------------- DLA, Oct-MobileNet (issue 20)

def oct_mobilenet_reduced(module, divisor):
    """The official OctMobileNet layout (official conv_bn / conv_dw) with every width divided by divisor; the
    forward is the official one but flattens to the reduced width (the official view(-1, 1024) hard-codes it)."""
    rows = [(32, 64, 1, 0, 0.5), (64, 128, 2, 0.5, 0.5), (128, 128, 1, 0.5, 0.5), (128, 256, 2, 0.5, 0.5),
            (256, 256, 1, 0.5, 0.5), (256, 512, 2, 0.5, 0.5)] + [(512, 512, 1, 0.5, 0.5)] * 4 + [
            (512, 512, 1, 0.5, 0), (512, 1024, 2, 0, 0), (1024, 1024, 1, 0, 0)]

    class Reduced(module.OctMobileNet):
        def __init__(self):
            nn.Module.__init__(self)
            self.features = nn.Sequential(module.conv_bn(3, 32 // divisor, 2), *[
                module.conv_dw(i // divisor, o // divisor, s, a, b) for i, o, s, a, b in rows])
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(1024 // divisor, NUM_CLASSES)

        def forward(self, x):
            x_h, x_l = self.features(x)
            return self.fc(self.avgpool(x_h).view(x.size(0), -1))

    return Reduced()


def dla_mobilenet_cases():
    """The official DLA (res2net dla.py) at 64x64 with pool_size 2: DLA-60's tree levels (res2net), narrower."""
    import dla
    import oct_mobilenet
    return {
        'res2net_dla_reduced': (
            dict(official='dla.DLA', block='Bottle2neck (DLA, 28w x 4s)', levels=[1, 1, 1, 2, 3, 1],
                 channels=[4, 8, 16, 16, 16, 32], pool_size=2),
            lambda: dla.DLA([1, 1, 1, 2, 3, 1], [4, 8, 16, 16, 16, 32], num_classes=NUM_CLASSES,
                            block=dla.Bottle2neck, pool_size=2), 64),
        'res2next_dla_reduced': (
            dict(official='dla.DLA', block='Bottle2neckX (DLA, 8 groups x 4s)', levels=[1, 1, 1, 2, 1, 1],
                 channels=[4, 8, 32, 32, 32, 32], pool_size=2),
            lambda: dla.DLA([1, 1, 1, 2, 1, 1], [4, 8, 32, 32, 32, 32], num_classes=NUM_CLASSES,
                            block=dla.Bottle2neckX, pool_size=2), 64),
        'oct_mobilenet_reduced': (
            dict(official='oct_mobilenet.OctMobileNet', block='conv_dw (Conv_BN_ACT, depthwise octave)',
                 width_divisor=16),
            lambda: oct_mobilenet_reduced(oct_mobilenet, 16), 64),
    }


FP16_CASE = 'res2net_reduced'


# ---------------------------------------------------------------- weights and outputs

def seed_weights(model, generator):
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, nn.BatchNorm2d):
                c = module.num_features
                module.weight.copy_(torch.rand(c, generator=generator) + 0.5)
                module.bias.copy_(torch.randn(c, generator=generator) * 0.1)
                module.running_mean.copy_(torch.randn(c, generator=generator) * 0.2)
                module.running_var.copy_(torch.rand(c, generator=generator) * 1.5 + 0.5)
                module.num_batches_tracked.fill_(100)
        for name, p in model.named_parameters():
            if name.endswith('bias') and not is_bn(model, name):
                p.copy_(torch.randn(p.shape, generator=generator) * 0.1)
            elif not is_bn(model, name):
                fan_in = p[0].numel() if p.dim() > 1 else p.numel()
                if p.dim() == 5:  # Dynamic_conv2d's kernel bank (K, out, in/groups, k, k)
                    fan_in = p[0, 0].numel()
                p.copy_(torch.randn(p.shape, generator=generator) * math.sqrt(2.0 / fan_in))


def is_bn(model, param_name):
    module = model.get_submodule(param_name.rsplit('.', 1)[0])
    return isinstance(module, nn.BatchNorm2d)


def set_dy_temperature(model, o):
    for m in model.modules():
        if isinstance(m, o.dynamic_conv.attention2d):
            m.temperature = DY_TEMPERATURE


def rescale_fc(model, x):
    """Scales the classifier (fc, or a VGG's classifier.0) so the logits have standard deviation ~1
    (order-1 outputs for the 1e-4 check)."""
    head = model.fc if hasattr(model, 'fc') else model.classifier[0]
    with torch.no_grad():
        std = model(x).std().item()
        head.weight.mul_(1.0 / std)
        head.bias.mul_(1.0 / std)


def save_npy(path, array):
    np.save(path, np.ascontiguousarray(array.detach().numpy().astype(np.float32)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    for repo in ('pyconv', 'res2net', 'octconv', 'dyconv'):
        parser.add_argument('--' + repo, required=True, help='checkout of the official %s code' % repo)
    parser.add_argument('--out', default=DEFAULT_OUT)
    parser.add_argument('--only', nargs='*', help='case names to (re)write; all by default')
    parser.add_argument('--full', metavar='MODULE.FUNCTION',
                        help='instead: a FULL-SIZE official model (e.g. res2net.res2net50_26w_4s, '
                             'pyconvresnet.pyconvresnet50, oct_resnet.oct_resnet50, dy_resnet.resnet18) with seeded '
                             'weights saved in the legacy format to --out as full.pth, full.input.npy (1x3x224x224) '
                             'and full.logits.npy, for the CONVZOO_FULL_* test of ImportPredictCommandTest; '
                             'not committed')
    args = parser.parse_args()
    o = import_official(args)
    if args.full:
        return write_full(o, args.full, args.out)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    manifest = {}
    manifest_path = os.path.join(args.out, 'cases.json')
    if args.only and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    for index, (name, (config, build, size)) in enumerate(cases(o).items()):
        if args.only and name not in args.only:
            continue
        torch.manual_seed(1000 + index)
        generator = torch.Generator().manual_seed(1000 + index)
        model = build()
        set_dy_temperature(model, o)
        seed_weights(model, generator)
        model.eval()
        x = torch.randn(2, 3, size, size, generator=generator)
        rescale_fc(model, x)
        with torch.no_grad():
            logits = model(x)
        sd = model.state_dict()
        torch.save(sd, os.path.join(args.out, name + '.pth'))
        torch.save(sd, os.path.join(args.out, name + '_legacy.pth'), _use_new_zipfile_serialization=False)
        save_npy(os.path.join(args.out, name + '.input.npy'), x)
        save_npy(os.path.join(args.out, name + '.logits.npy'), logits)
        entry = dict(config, input=list(x.shape), classes=NUM_CLASSES,
                     params=sum(p.numel() for p in model.parameters()),
                     max_abs_logit=round(logits.abs().max().item(), 4))
        if name == FP16_CASE:
            sd16 = {k: (v.half() if v.is_floating_point() else v) for k, v in sd.items()}
            torch.save(sd16, os.path.join(args.out, name + '_fp16.pth'))
            rounded = {k: v.float() if v.is_floating_point() else v for k, v in sd16.items()}
            model.load_state_dict(rounded)
            with torch.no_grad():
                logits16 = model(x)
            save_npy(os.path.join(args.out, name + '.logits_fp16.npy'), logits16)
            entry['fp16_max_abs_diff'] = round((logits16 - logits).abs().max().item(), 6)
        manifest[name] = entry
        print('%-24s params %7d  input %s  max|logit| %.3f' % (name, entry['params'], tuple(x.shape),
                                                               entry['max_abs_logit']))
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')


def write_full(o, spec, out):
    module_name, function = spec.split('.')
    module = getattr(o, module_name)
    generator = torch.Generator().manual_seed(7)
    torch.manual_seed(7)
    model = getattr(module, function)(pretrained=False) if 'pretrained' in getattr(module, function).__code__.co_varnames \
        else getattr(module, function)()
    # Full size: the attention keeps the official initial temperature 34, the zoo's default.
    seed_weights(model, generator)
    model.eval()
    x = torch.randn(1, 3, 224, 224, generator=generator)
    rescale_fc(model, x)
    with torch.no_grad():
        logits = model(x)
    os.makedirs(out, exist_ok=True)
    torch.save(model.state_dict(), os.path.join(out, 'full.pth'), _use_new_zipfile_serialization=False)
    save_npy(os.path.join(out, 'full.input.npy'), x)
    save_npy(os.path.join(out, 'full.logits.npy'), logits)
    print('%s: %d params, legacy checkpoint, input and logits in %s' % (spec, sum(p.numel() for p in model.parameters()), out))


if __name__ == '__main__':
    main()
