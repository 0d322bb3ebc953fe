#!/usr/bin/python3
"""PyConvSegNet numbers and fixtures for ConvZoo, from the OFFICIAL classes of iduta/pyconvsegnet.

Run with Debian's PyTorch (torch 1.13), pointing at a checkout of the official repository (not part
of ConvZoo, never committed):

    /usr/bin/python3 tools/pyconvsegnet_fixtures.py counts   /tmp/pyconvsegnet_official [--keys DIR]
    /usr/bin/python3 tools/pyconvsegnet_fixtures.py fixtures /tmp/pyconvsegnet_official [--out DIR]

counts: for every backbone (pyconvresnet / pyconvhgresnet 50/101/152) and output stride (8, 16) the
parameter count of the official PyConvSegNet(classes=150) (aux head included) and the conv MACs of
one eval forward at 1x3x473x473 (conv: output elements x C_in/groups x kh x kw, by forward hooks;
the aux head does not run in eval). With --keys, also DIR/<id>.keys.gz: one "key d0,d1,..." line
per state_dict entry (num_batches_tracked left out) of the 50-layer models.

fixtures: a reduced official configuration (zoo/src/test/resources/segnet by default): the
official backbone class with smaller widths (parity_fixtures.pyconv_reduced), dilated by the
official build_backbone_layers, the official LocalPyConvBlock / GlobalPyConvBlock /
MergeLocalGlobal with smaller widths, the official forward. Weights seeded as in
parity_fixtures.py (cls scaled so the logits are of order 1) and rounded to float16 (the checkpoint is stored in float16 to stay small; the
logits are those of the official float32 forward with the rounded weights). Per case:
    <case>.pth                  torch.save of the float16 state_dict
    <case>.input.npy            float32 input 1x3x65x65
    <case>.os8.logits.npy       eval logits at backbone output stride 8 (same weights)
    <case>.os16.logits.npy      eval logits at output stride 16
    <case>.target.npy           a float32 label map (values 0..classes-1, some 255 = ignored)
    <case>.os8.losses.npy       [main_loss, aux_loss] of the official training forward (dropout 0,
                                BatchNorm on batch statistics) on input and target
"""
import argparse
import gzip
import os
import sys

import numpy as np
import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import parity_fixtures  # noqa: E402  (seeded weights, the reduced official PyConvResNet)
from pyconv_official_dump import macs as conv_macs  # noqa: E402  (conv + linear MACs by forward hooks)

DEFAULT_OUT = os.path.join(HERE, '..', 'zoo', 'src', 'test', 'resources', 'segnet')
CLASSES = 5
SIZE = 65

# case -> (official backbone module, block, widths, groups); depths 1,1,1,1, stem 16, layer4 output 256.
CASES = {
    'pyconvsegnet_pyconvresnet_reduced': ('pyconvresnet', [16, 16, 32, 64], [[1, 2, 4, 4], [1, 2, 4], [1, 4], [1]]),
    'pyconvsegnet_pyconvhgresnet_reduced': ('pyconvhgresnet', [16, 16, 32, 128],
                                            [[4, 4, 4, 4], [4, 4, 8], [4, 8], [8]]),
}
# Reduced head: local 32, global 64 (the official PyConv4's 16 groups need 64 channels), merge 16, aux 16.
LOCAL, GLOBAL, MERGE, AUX = 32, 64, 16, 16


def official(repo):
    sys.path.insert(0, repo)
    from model import pyconvsegnet, build_backbone_layers
    from model.backbones import pyconvresnet, pyconvhgresnet
    return pyconvsegnet, build_backbone_layers, {'pyconvresnet': pyconvresnet, 'pyconvhgresnet': pyconvhgresnet}


def counts(args):
    seg, _, _ = official(args.repo)
    torch.set_num_threads(2)
    for backbone in ('pyconvresnet', 'pyconvhgresnet'):
        for layers in (50, 101, 152):
            name = 'pyconvsegnet_%s%d' % (backbone, layers)
            for stride in (8, 16):
                model = seg.PyConvSegNet(layers=layers, classes=150, pretrained=False,
                                         backbone_output_stride=stride, backbone_net=backbone)
                params = sum(p.numel() for p in model.parameters())
                print('%s\tos=%d\tparams=%d\tmacs@473=%d' % (name, stride, params,
                                                               conv_macs(model, (1, 3, 473, 473))), flush=True)
                if args.keys and layers == 50 and stride == 8:
                    os.makedirs(args.keys, exist_ok=True)
                    lines = ['%s %s' % (k, ','.join(map(str, v.shape))) for k, v in model.state_dict().items()
                             if not k.endswith('num_batches_tracked')]
                    with gzip.open(os.path.join(args.keys, name + '.keys.gz'), 'wt') as f:
                        f.write('\n'.join(lines) + '\n')


def reduced(seg, build_backbone_layers, backbones, case, stride):
    module_name, widths, groups = CASES[case]
    module = backbones[module_name]
    base = module.PyConvResNet if module_name == 'pyconvresnet' else module.PyConvHGResNet
    backbone = parity_fixtures.pyconv_reduced(base, module.PyConvBlock, [1, 1, 1, 1], widths, groups, 16)
    stage3 = widths[2] * module.PyConvBlock.expansion
    factory = module_name + '50'
    original = getattr(module, factory)
    setattr(module, factory, lambda: backbone)  # the official build_backbone_layers dilates this backbone
    try:
        parts = build_backbone_layers.build_backbone_layers(module_name, 50, False, backbone_output_stride=stride,
                                                            convert_bn=nn.BatchNorm2d)
    finally:
        setattr(module, factory, original)

    class Reduced(seg.PyConvSegNet):
        def __init__(self):
            nn.Module.__init__(self)
            self.zoom_factor = 8
            self.criterion = nn.CrossEntropyLoss(ignore_index=255)
            self.layer0, self.layer1, self.layer2, self.layer3, self.layer4 = parts
            head = seg.PyConvHead.__new__(seg.PyConvHead)
            nn.Module.__init__(head)
            head.local_context = seg.LocalPyConvBlock(256, LOCAL, nn.BatchNorm2d, reduction1=4)
            head.global_context = seg.GlobalPyConvBlock(256, GLOBAL, 9, nn.BatchNorm2d)
            head.merge_context = seg.MergeLocalGlobal(LOCAL + GLOBAL, MERGE, nn.BatchNorm2d)
            self.pyconvhead = head
            self.aux = nn.Sequential(nn.Conv2d(stage3, AUX, kernel_size=3, padding=1, bias=False),
                                     nn.BatchNorm2d(AUX), nn.ReLU(inplace=True), nn.Dropout2d(p=0.1),
                                     nn.Conv2d(AUX, CLASSES, kernel_size=1))
            self.cls = nn.Sequential(nn.Dropout2d(p=0.1), nn.Conv2d(MERGE, CLASSES, kernel_size=1))

    return Reduced()


def fixtures(args):
    seg, bbl, backbones = official(args.repo)
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    for index, case in enumerate(CASES):
        generator = torch.Generator().manual_seed(2000 + index)
        torch.manual_seed(2000 + index)
        model = reduced(seg, bbl, backbones, case, 8)
        parity_fixtures.seed_weights(model, generator)
        x = torch.randn(1, 3, SIZE, SIZE, generator=generator)
        model.eval()
        with torch.no_grad():  # cls scaled so the logits are of order 1 (the 1e-4 check is absolute)
            std = model(x).std().item()
            model.cls[1].weight.mul_(1.0 / std)
            model.cls[1].bias.mul_(1.0 / std)
        sd16 = {k: (v.half() if v.is_floating_point() else v) for k, v in model.state_dict().items()}
        rounded = {k: (v.float() if v.is_floating_point() else v) for k, v in sd16.items()}
        target = torch.randint(0, CLASSES, (1, SIZE, SIZE), generator=generator)
        target[:, :8, :] = 255  # ignored rows, as ADE20K's unlabeled pixels
        torch.save(sd16, os.path.join(args.out, case + '.pth'))
        parity_fixtures.save_npy(os.path.join(args.out, case + '.input.npy'), x)
        parity_fixtures.save_npy(os.path.join(args.out, case + '.target.npy'), target.float())
        for stride in (8, 16):
            net = model if stride == 8 else reduced(seg, bbl, backbones, case, 16)
            net.load_state_dict(rounded)
            net.eval()
            with torch.no_grad():
                logits = net(x)
            parity_fixtures.save_npy(os.path.join(args.out, '%s.os%d.logits.npy' % (case, stride)), logits)
            print('%s os%d: params %d, logits %s, max|logit| %.3f' % (case, stride,
                  sum(p.numel() for p in net.parameters()), tuple(logits.shape), logits.abs().max().item()))
        model.load_state_dict(rounded)
        model.train()
        for m in model.modules():
            if isinstance(m, nn.Dropout2d):
                m.p = 0.0
        with torch.no_grad():
            _, main_loss, aux_loss = model(x, target)
        parity_fixtures.save_npy(os.path.join(args.out, case + '.os8.losses.npy'),
                                 torch.stack([main_loss, aux_loss]))
        print('%s training: main %.5f aux %.5f' % (case, main_loss.item(), aux_loss.item()))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('command', choices=['counts', 'fixtures'])
    parser.add_argument('repo', help='checkout of iduta/pyconvsegnet')
    parser.add_argument('--keys', help='counts: write the 50-layer state_dict key lists here')
    parser.add_argument('--out', default=DEFAULT_OUT, help='fixtures: output directory')
    args = parser.parse_args()
    counts(args) if args.command == 'counts' else fixtures(args)


if __name__ == '__main__':
    main()
