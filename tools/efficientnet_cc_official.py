#!/usr/bin/python3
"""Reference facts of timm's CondConv EfficientNets (efficientnet_cc_b0_4e, _b0_8e, _b1_8e) for the ConvZoo tests.

Run with Debian's PyTorch (torch 1.13), pointing at a checkout of huggingface/pytorch-image-models (not part of
ConvZoo, never committed):

    /usr/bin/python3 tools/efficientnet_cc_official.py --timm /tmp/timm_official \
        [--keys-out zoo/src/test/resources/io/convzoo/zoo/arch/condconv] [--fixture-out zoo/src/test/resources/parity]

timm imports torchvision and PIL, which Debian's PyTorch lacks; both are stubbed here by empty modules (only
timm's data pipeline uses them, never the models). The models are timm's own functions and classes.

For every variant it prints the learnable parameter count at 1000 classes and, for one image at timm's default
input size (224; 240 for b1), the MACs of nn.Conv2d and nn.Linear modules plus every CondConv2d counted as the
conv with its mixed kernel, and the kernel-mixing MACs (K x expert weights per sample) apart. --keys-out writes
<variant>.keys.txt.gz: one "key d0,d1,..." line per state_dict entry, in order, without num_batches_tracked.

--fixture-out writes the parity case efficientnet_cc_reduced (tools/parity_fixtures.py's file set and cases.json
entry): timm's EfficientNet class built by timm's decode_arch_def and EfficientNetBuilder from a narrower arch_def
of the same block kinds (a skip DS block, plain and CondConv inverted residuals, depth multiplier 1.1, experts
multiplier 2), with seeded weights and the eval logits of a 2x3x32x32 input.
"""
import argparse
import gzip
import importlib.abc
import importlib.machinery
import json
import math
import os
import sys
import types
from functools import partial

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from parity_fixtures import save_npy, seed_weights as parity_seed_weights  # noqa: E402

VARIANTS = [("efficientnet_cc_b0_4e", 224), ("efficientnet_cc_b0_8e", 224), ("efficientnet_cc_b1_8e", 240)]
CASE = "efficientnet_cc_reduced"
# Stem 8, head 64, every stage narrower than b0's; the experts of the cc stages doubled by the multiplier.
REDUCED_ARCH = [
    ['ds_r1_k3_s1_e1_c8_se0.25'],
    ['ir_r1_k3_s2_e3_c16_se0.25'],
    ['ir_r1_k5_s2_e3_c16_se0.25_cc2'],
    ['ir_r1_k3_s2_e3_c24_se0.25_cc3'],
]
REDUCED = dict(depth_multiplier=1.1, experts_multiplier=2, stem=8, num_features=64, classes=10, size=32)


class _Meta(type):
    def __getattr__(cls, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return _Meta(name, (object,), {})


class _Stub(types.ModuleType):
    def __getattr__(self, name):
        if name.startswith('__'):
            raise AttributeError(name)
        return _Meta(name, (object,), {})


class _StubFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Empty torchvision and PIL packages: any attribute is a fresh class (timm.data only reads them)."""

    def find_spec(self, fullname, path, target=None):
        if fullname.split('.')[0] in ('torchvision', 'PIL'):
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _Stub(spec.name)
        module.__path__ = []
        module.__version__ = '9.0.0'
        return module

    def exec_module(self, module):
        pass


def import_timm(checkout):
    sys.meta_path.insert(0, _StubFinder())
    sys.path.insert(0, checkout)
    from timm.models import efficientnet, _efficientnet_builder
    from timm.layers import CondConv2d
    return efficientnet, _efficientnet_builder, CondConv2d


def count_macs(model, condconv_cls, shape):
    macs = {"conv": 0, "linear": 0, "condconv": 0, "mixing": 0}

    def conv_hook(module, inputs, output):
        macs["conv"] += output.numel() * module.weight[0].numel()

    def linear_hook(module, inputs, output):
        macs["linear"] += output.numel() * module.in_features

    def condconv_hook(module, inputs, output):
        per_expert = module.weight.shape[1]  # out * in/groups * k * k
        macs["condconv"] += output.numel() * per_expert // module.out_channels
        bias = module.out_channels if module.bias is not None else 0
        macs["mixing"] += inputs[0].shape[0] * module.num_experts * (per_expert + bias)

    hooks = {nn.Conv2d: conv_hook, nn.Linear: linear_hook, condconv_cls: condconv_hook}
    handles = [m.register_forward_hook(hooks[type(m)]) for m in model.modules() if type(m) in hooks]
    model.eval()
    with torch.no_grad():
        model(torch.zeros(*shape))
    for h in handles:
        h.remove()
    return macs


def reduced_model(efficientnet, builder):
    """timm's EfficientNet with the kwargs of _gen_efficientnet_condconv, on REDUCED_ARCH."""
    return efficientnet.EfficientNet(
        block_args=builder.decode_arch_def(REDUCED_ARCH, REDUCED['depth_multiplier'],
                                           experts_multiplier=REDUCED['experts_multiplier']),
        num_features=REDUCED['num_features'], stem_size=REDUCED['stem'],
        round_chs_fn=partial(builder.round_channels, multiplier=1.0),
        norm_layer=partial(nn.BatchNorm2d, **builder.resolve_bn_args({})),
        act_layer=builder.resolve_act_layer({}, 'swish'), num_classes=REDUCED['classes'])


def seed_weights(model, condconv_cls, generator):
    """parity_fixtures.py's weights; each CondConv2d expert then He-normal over its own fan-in (in/groups * k * k)."""
    parity_seed_weights(model, generator)
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, condconv_cls):
                fan_in = math.prod(module.weight_shape[1:])
                module.weight.copy_(torch.randn(module.weight.shape, generator=generator) * math.sqrt(2.0 / fan_in))


def write_fixture(efficientnet, builder, condconv_cls, out):
    torch.manual_seed(2000)
    generator = torch.Generator().manual_seed(2000)
    model = reduced_model(efficientnet, builder)
    seed_weights(model, condconv_cls, generator)
    model.eval()
    x = torch.randn(2, 3, REDUCED['size'], REDUCED['size'], generator=generator)
    with torch.no_grad():
        std = model(x).std().item()
        model.classifier.weight.mul_(1.0 / std)
        model.classifier.bias.mul_(1.0 / std)
        logits = model(x)
    sd = model.state_dict()
    os.makedirs(out, exist_ok=True)
    torch.save(sd, os.path.join(out, CASE + '.pth'))
    torch.save(sd, os.path.join(out, CASE + '_legacy.pth'), _use_new_zipfile_serialization=False)
    save_npy(os.path.join(out, CASE + '.input.npy'), x)
    save_npy(os.path.join(out, CASE + '.logits.npy'), logits)
    manifest_path = os.path.join(out, 'cases.json')
    manifest = {}
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            manifest = json.load(f)
    manifest[CASE] = dict(official='timm efficientnet.EfficientNet (decode_arch_def, EfficientNetBuilder)',
                          block='DepthwiseSeparableConv, InvertedResidual, CondConvResidual', arch_def=REDUCED_ARCH,
                          **{k: v for k, v in REDUCED.items() if k not in ('classes', 'size')},
                          input=list(x.shape), classes=REDUCED['classes'],
                          params=sum(p.numel() for p in model.parameters()),
                          max_abs_logit=round(logits.abs().max().item(), 4))
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write('\n')
    print('%s params %d input %s max|logit| %.3f' % (CASE, manifest[CASE]['params'], tuple(x.shape),
                                                     manifest[CASE]['max_abs_logit']))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--timm', required=True, help='checkout of huggingface/pytorch-image-models')
    parser.add_argument('--keys-out', help='folder for the <variant>.keys.txt.gz dumps')
    parser.add_argument('--fixture-out', help='folder for the efficientnet_cc_reduced parity case')
    args = parser.parse_args()
    efficientnet, builder, condconv_cls = import_timm(args.timm)
    torch.set_num_threads(1)
    for name, size in VARIANTS:
        torch.manual_seed(0)
        model = getattr(efficientnet, name)()
        params = sum(p.numel() for p in model.parameters())
        macs = count_macs(model, condconv_cls, (1, 3, size, size))
        total = macs['conv'] + macs['linear'] + macs['condconv']
        print(f"{name}: params={params} macs@{size}={total} (static conv {macs['conv']}, condconv {macs['condconv']}, "
              f"linear {macs['linear']}) kernel-mixing={macs['mixing']}", flush=True)
        if args.keys_out:
            os.makedirs(args.keys_out, exist_ok=True)
            with gzip.open(os.path.join(args.keys_out, name + '.keys.txt.gz'), 'wt') as f:
                for key, value in model.state_dict().items():
                    if not key.endswith('num_batches_tracked'):
                        f.write(key + ' ' + ','.join(str(d) for d in value.shape) + '\n')
    if args.fixture_out:
        write_fixture(efficientnet, builder, condconv_cls, args.fixture_out)


if __name__ == '__main__':
    main()
