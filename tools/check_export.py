#!/usr/bin/python3
"""Checks ConvZoo's exports in PyTorch: the files CheckpointExporterTest writes from the official
parity fixtures (reduced configurations of the OFFICIAL model classes, see parity_fixtures.py) are
loaded the way a PyTorch user would load them, and must give the official logits within 1e-4.

    CONVZOO_EXPORT_DIR=/tmp/exports mvn -B test -pl zoo -am -Dtest=CheckpointExporterTest \\
        -Dsurefire.failIfNoSpecifiedTests=false
    /usr/bin/python3 tools/check_export.py --exports /tmp/exports \\
        --pyconv /tmp/pyconv_official --res2net /tmp/res2net_official \\
        --octconv /tmp/octconv_official --dyconv /tmp/dyconv_official

For every case:
    <case>.pth              torch.load(weights_only=True), then the official network's
                            load_state_dict(strict=True); its eval logits against <case>.logits.npy
    <case>.safetensors      parsed here (Debian has no safetensors package), loaded strictly the same way
    <case>.torchscript.pt   torch.jit.load, run on <case>.input.npy
and the model fine-tuned in Java (res2net_reduced_finetuned.pth) loaded strictly into the official
network must give the logits Java computed (res2net_reduced_finetuned.logits.npz).

Full-size models through the command line (parity_fixtures.py --full writes the official checkpoint):
    /usr/bin/python3 tools/parity_fixtures.py ... --full res2net.res2net50_26w_4s --out /tmp/full
    bin/convzoo import res2net50_26w_4s --checkpoint /tmp/full/full.pth --out /tmp/full/model
    bin/convzoo export /tmp/full/model --format pth --out /tmp/full/full.export.pth
    bin/convzoo export /tmp/full/model --format safetensors --out /tmp/full/full.export.safetensors
    bin/convzoo export /tmp/full/model --format torchscript --out /tmp/full/full.torchscript.pt
    /usr/bin/python3 tools/check_export.py ... --exports /tmp/full --full res2net.res2net50_26w_4s
checks those three files against /tmp/full/full.logits.npy the same way.
Exit status 0 when every check passes.
"""
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import parity_fixtures  # noqa: E402  (the official networks and their reduced configurations)

FIXTURES = os.path.join(HERE, '..', 'zoo', 'src', 'test', 'resources', 'parity')
TOLERANCE = 1e-4
FINETUNED = 'res2net_reduced'
SAFETENSORS_DTYPES = {'F32': torch.float32, 'F64': torch.float64, 'F16': torch.float16, 'BF16': torch.bfloat16,
                      'I64': torch.int64, 'I32': torch.int32}


def read_safetensors(path):
    with open(path, 'rb') as f:
        blob = f.read()
    (length,) = struct.unpack('<Q', blob[:8])
    header = json.loads(blob[8:8 + length].decode('utf-8'))
    data = blob[8 + length:]
    out = {}
    for key, info in header.items():
        if key == '__metadata__':
            continue
        begin, end = info['data_offsets']
        dtype = SAFETENSORS_DTYPES[info['dtype']]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtype) if end > begin else torch.empty(0, dtype=dtype)
        out[key] = t.reshape(info['shape']).clone()
    return out


def npz_first(path):
    with np.load(path) as z:
        return z[z.files[0]]


def official(o, build):
    model = build()
    parity_fixtures.set_dy_temperature(model, o)
    return model.eval()


def max_diff(a, b):
    return (torch.as_tensor(a) - torch.as_tensor(b)).abs().max().item()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    for repo in ('pyconv', 'res2net', 'octconv', 'dyconv'):
        parser.add_argument('--' + repo, required=True, help='checkout of the official %s code' % repo)
    parser.add_argument('--exports', required=True, help='CONVZOO_EXPORT_DIR of CheckpointExporterTest')
    parser.add_argument('--full', metavar='MODULE.FUNCTION',
                        help='instead: check full.export.pth, full.export.safetensors and full.torchscript.pt in '
                             '--exports against full.input.npy / full.logits.npy of parity_fixtures.py --full')
    args = parser.parse_args()
    o = parity_fixtures.import_official(args)
    torch.set_num_threads(1)
    if args.full:
        return check_full(o, args.full, args.exports)
    failures = 0
    for name, (_, build, _) in parity_fixtures.cases(o).items():
        x = torch.from_numpy(np.load(os.path.join(FIXTURES, name + '.input.npy')))
        expected = torch.from_numpy(np.load(os.path.join(FIXTURES, name + '.logits.npy')))
        results = {}
        for form in ('pth', 'safetensors'):
            path = os.path.join(args.exports, name + '.' + form)
            sd = torch.load(path, weights_only=True) if form == 'pth' else read_safetensors(path)
            model = official(o, build)
            model.load_state_dict(sd, strict=True)
            with torch.no_grad():
                results[form] = max_diff(model(x), expected)
        scripted = torch.jit.load(os.path.join(args.exports, name + '.torchscript.pt'))
        with torch.no_grad():
            results['torchscript'] = max_diff(scripted(x), expected)
        ok = all(d <= TOLERANCE for d in results.values())
        failures += 0 if ok else 1
        print('%-24s %s  %s' % (name, 'ok  ' if ok else 'FAIL',
                                '  '.join('%s %.2e' % (k, v) for k, v in results.items())))
    build = parity_fixtures.cases(o)[FINETUNED][1]
    model = official(o, build)
    model.load_state_dict(torch.load(os.path.join(args.exports, FINETUNED + '_finetuned.pth'), weights_only=True),
                          strict=True)
    x = torch.from_numpy(npz_first(os.path.join(args.exports, FINETUNED + '_finetuned.input.npz')))
    java = npz_first(os.path.join(args.exports, FINETUNED + '_finetuned.logits.npz'))
    before = np.load(os.path.join(FIXTURES, FINETUNED + '.logits.npy'))
    with torch.no_grad():
        diff = max_diff(model(x), java)
    ok = diff <= TOLERANCE
    failures += 0 if ok else 1
    print('%-24s %s  fine-tuned in Java: official logits vs Java logits %.2e (fine-tuning moved them by %.2f)'
          % (FINETUNED + '_finetuned', 'ok  ' if ok else 'FAIL', diff, max_diff(java, before)))
    print('all exports load in PyTorch %s with the same logits' % torch.__version__ if failures == 0
          else '%d case(s) failed' % failures)
    return 1 if failures else 0


def check_full(o, spec, folder):
    module_name, function = spec.split('.')
    make = getattr(getattr(o, module_name), function)

    def build():
        return make(pretrained=False) if 'pretrained' in make.__code__.co_varnames else make()
    x = torch.from_numpy(np.load(os.path.join(folder, 'full.input.npy')))
    expected = torch.from_numpy(np.load(os.path.join(folder, 'full.logits.npy')))
    scale = max(1.0, expected.abs().max().item())
    results = {}
    for form in ('pth', 'safetensors'):
        path = os.path.join(folder, 'full.export.' + form)
        sd = torch.load(path, weights_only=True) if form == 'pth' else read_safetensors(path)
        model = build().eval()
        model.load_state_dict(sd, strict=True)
        with torch.no_grad():
            results[form] = max_diff(model(x), expected)
    with torch.no_grad():
        results['torchscript'] = max_diff(torch.jit.load(os.path.join(folder, 'full.torchscript.pt'))(x), expected)
    ok = all(d <= TOLERANCE * scale for d in results.values())
    print('%-28s %s  %s  (largest |logit| %.2f)' % (spec, 'ok  ' if ok else 'FAIL',
                                                    '  '.join('%s %.2e' % (k, v) for k, v in results.items()), scale))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
