#!/usr/bin/python3
"""Generates the small checkpoint fixtures of the zoo module's checkpoint tests.

Run with Debian's PyTorch (torch 1.13):  /usr/bin/python3 tools/make_checkpoint_fixtures.py
Writes zoo/src/test/resources/checkpoints/: real torch.save outputs (zip and legacy formats,
plain and nested, float16/bfloat16/float64 copies, shared storages and strided views), a
hand-made big-endian zip, safetensors and npz copies, hand-crafted hostile files (a pickle that
would call os.system, huge declared sizes) and truncated copies, plus expected.json holding every
tensor value, the test input and the logits PyTorch computed.

Re-running changes only the legacy-format files: torch.save names their storages after memory
addresses. Their tensors, and everything in expected.json, stay the same.
"""
import argparse
import collections
import io
import json
import os
import pickle
import struct
import sys
import zipfile

import numpy as np
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'zoo', 'src', 'test', 'resources',
                   'checkpoints')
MARKER = '/tmp/convzoo-checkpoint-pwned'


class TinyNet(nn.Module):
    """conv+bn+relu, conv(bias)+bn+relu, global average pool, linear; official-style names."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1, bias=False), nn.BatchNorm2d(4),
                                      nn.ReLU())
        self.conv2 = nn.Conv2d(4, 6, 3, stride=2, padding=1, bias=True)
        self.bn2 = nn.BatchNorm2d(6)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        x = self.features(x)
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(x.mean((2, 3)))


def tiny_model():
    torch.manual_seed(7)
    m = TinyNet()
    with torch.no_grad():
        for bn in (m.features[1], m.bn2):
            # Running statistics far from 0/1 so that a mix-up shows in the logits.
            bn.running_mean.copy_(torch.randn(bn.num_features) * 0.5)
            bn.running_var.copy_(torch.rand(bn.num_features) + 0.5)
            bn.weight.copy_(torch.rand(bn.num_features) + 0.5)
            bn.bias.copy_(torch.randn(bn.num_features) * 0.2)
            bn.num_batches_tracked.fill_(7)
    return m.eval()


def values(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.int64, torch.int32):
        return {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape), 'values': t.flatten().tolist()}
    return {'dtype': str(t.dtype).replace('torch.', ''), 'shape': list(t.shape),
            'values': t.float().flatten().tolist()}


def expected_of(sd):
    return {k: values(v) for k, v in sd.items() if isinstance(v, torch.Tensor)}


def save(obj, name, legacy=False):
    path = os.path.join(OUT, name)
    torch.save(obj, path, _use_new_zipfile_serialization=not legacy)
    return path


# ---------------------------------------------------------------- hand-written writers
class FakeStorage:
    """Stands for a storage in a hand-made pickle: its persistent id is given explicitly."""

    def __init__(self, pid):
        self.pid = pid


class FakeTensor:
    """Pickles as torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, {})."""

    def __init__(self, storage, offset, size, stride):
        self.args = (storage, offset, tuple(size), tuple(stride), False, collections.OrderedDict())

    def __reduce__(self):
        return torch._utils._rebuild_tensor_v2, self.args


class FakeTensorV1(FakeTensor):
    """Pickles as the older torch._utils._rebuild_tensor(storage, offset, size, stride)."""

    def __reduce__(self):
        return torch._utils._rebuild_tensor, self.args[:4]


class IdPickler(pickle.Pickler):
    def persistent_id(self, obj):
        return obj.pid if isinstance(obj, FakeStorage) else None


def pickle_with_ids(obj):
    buf = io.BytesIO()
    IdPickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def write_zip(path, archive, pkl_bytes, records, byteorder=None):
    """A torch-style zip: <archive>/data.pkl, <archive>/data/<key>, optional <archive>/byteorder."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_STORED) as z:
        def put(name, data):
            z.writestr(zipfile.ZipInfo(archive + '/' + name, date_time=(1980, 1, 1, 0, 0, 0)), data)
        put('data.pkl', pkl_bytes)
        if byteorder:
            put('byteorder', byteorder)
        for key, data in records.items():
            put('data/' + key, data)
        put('version', '3\n')


def big_endian_copy(sd, path):
    """The state_dict in the zip format with byteorder 'big' and byte-swapped storages."""
    records, tensors = {}, collections.OrderedDict()
    for i, (k, v) in enumerate(sd.items()):
        v = v.contiguous()
        arr = v.numpy().astype(v.numpy().dtype.newbyteorder('>'))
        records[str(i)] = arr.tobytes()
        storage_type = {torch.float32: torch.FloatStorage, torch.int64: torch.LongStorage}[v.dtype]
        st = FakeStorage(('storage', storage_type, str(i), 'cpu', v.numel()))
        stride = [1] * v.dim()
        for d in range(v.dim() - 2, -1, -1):
            stride[d] = stride[d + 1] * v.shape[d + 1]
        tensors[k] = FakeTensor(st, 0, v.shape, stride)
    write_zip(path, 'bigendian_archive', pickle_with_ids(tensors), records, byteorder='big')


def legacy_file(path, obj, storages):
    """Legacy layout: magic, protocol, sys_info, object, sorted keys, then count + raw bytes each."""
    with open(path, 'wb') as f:
        pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({'protocol_version': 1001, 'little_endian': True,
                     'type_sizes': {'short': 2, 'int': 4, 'long': 4}}, f, protocol=2)
        f.write(pickle_with_ids(obj))
        pickle.dump(sorted(storages), f, protocol=2)
        for key in sorted(storages):
            declared_count, data = storages[key]
            f.write(struct.pack('<q', declared_count))
            f.write(data)


def malicious_pickle():
    """GLOBAL os.system, the argument tuple, REDUCE: unpickling it with Python would run a shell."""
    command = ('touch ' + MARKER).encode()
    return (b'\x80\x02' + b'cos\nsystem\n' + b'X' + struct.pack('<I', len(command)) + command
            + b'\x85' + b'R' + b'.')


def safetensors_bytes(sd):
    header, blobs, offset = {}, [], 0
    for k, v in sd.items():
        arr = v.contiguous().numpy()
        dtype = {np.float32: 'F32', np.int64: 'I64', np.float16: 'F16', np.float64: 'F64'}[arr.dtype.type]
        header[k] = {'dtype': dtype, 'shape': list(arr.shape), 'data_offsets': [offset, offset + arr.nbytes]}
        blobs.append(arr.tobytes())
        offset += arr.nbytes
    header['__metadata__'] = {'format': 'pt'}
    h = json.dumps(header).encode()
    h += b' ' * (-len(h) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


def main():
    os.makedirs(OUT, exist_ok=True)
    expected = {}
    model = tiny_model()
    # Cloned: the optimizer step below must not change the saved values through shared storage.
    sd = collections.OrderedDict((k, v.clone()) for k, v in model.state_dict().items())
    torch.manual_seed(11)
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        logits = model(x)
    expected['input'] = values(x)
    expected['logits'] = values(logits)

    # Real torch.save outputs.
    save(sd, 'tiny_zip.pth')
    expected['tiny_zip.pth'] = expected_of(sd)
    save(sd, 'tiny_legacy.pth', legacy=True)
    expected['tiny_legacy.pth'] = expected_of(sd)
    module_sd = collections.OrderedDict(('module.' + k, v) for k, v in sd.items())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    model(x).sum().backward()
    optimizer.step()
    nested = {'epoch': 3, 'arch': 'tiny', 'state_dict': module_sd, 'best_acc1': torch.tensor(12.5),
              'optimizer': optimizer.state_dict(), 'args': argparse.Namespace(lr=0.1, arch='tiny'),
              'numpy_score': np.float64(0.25)}
    save(nested, 'tiny_nested.pth.tar')
    expected['tiny_nested.pth.tar'] = expected_of(sd)
    save(nested, 'tiny_nested_legacy.pth.tar', legacy=True)
    expected['tiny_nested_legacy.pth.tar'] = expected_of(sd)
    save({'model': sd, 'epoch': 5}, 'tiny_model_key.pt')
    expected['tiny_model_key.pt'] = expected_of(sd)
    for name, dtype in (('float16', torch.float16), ('bfloat16', torch.bfloat16), ('float64', torch.float64)):
        cast = collections.OrderedDict((k, v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items())
        save(cast, 'tiny_%s.pth' % name)
        expected['tiny_%s.pth' % name] = expected_of(cast)
        if dtype == torch.float16:
            save(cast, 'tiny_float16_legacy.pth', legacy=True)
            expected['tiny_float16_legacy.pth'] = expected_of(cast)

    # Shared storages and views: several tensors viewing one storage, offsets, non-contiguous strides.
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3
    longs = torch.arange(6, dtype=torch.int64) * 1000000000007 - 5
    views = collections.OrderedDict([
        ('base', base), ('row', base[1]), ('column', base[:, 2]), ('transposed', base.t()),
        ('block', base[1:3, 2:5]), ('every_other', base[::2, ::3]), ('longs', longs), ('long_tail', longs[3:]),
        ('halves', (base * 0.25).half()[2:, 1::2]),
    ])
    for name, legacy in (('views_zip.pth', False), ('views_legacy.pth', True)):
        save(views, name, legacy=legacy)
        loaded = torch.load(os.path.join(OUT, name))
        assert loaded['row'].storage().data_ptr() == loaded['base'].storage().data_ptr(), 'storage not shared'
        expected[name] = expected_of(views)

    # Hand-made files.
    big_endian_copy(sd, os.path.join(OUT, 'tiny_bigendian.pth'))
    expected['tiny_bigendian.pth'] = expected_of(sd)
    with open(os.path.join(OUT, 'tiny.safetensors'), 'wb') as f:
        f.write(safetensors_bytes(sd))
    expected['tiny.safetensors'] = expected_of(sd)
    np.savez(os.path.join(OUT, 'tiny.npz'), **{k: v.numpy() for k, v in sd.items()})
    expected['tiny.npz'] = expected_of(sd)

    # Older writers: tensors rebuilt by _rebuild_tensor (v1) from storages saved on a GPU
    # ('cuda:0'), and an old storage view (view_metadata) with an offset into its root storage.
    root = torch.arange(10, dtype=torch.float32) - 4.5
    gpu = FakeStorage(('storage', torch.FloatStorage, '0', 'cuda:0', 10, None))
    view = FakeStorage(('storage', torch.FloatStorage, '0', 'cuda:0', 10, ('1', 4, 6)))
    legacy_file(os.path.join(OUT, 'old_style_legacy.pth'), collections.OrderedDict([
        ('v1', FakeTensorV1(gpu, 1, (2, 3), (3, 1))), ('viewed', FakeTensor(view, 1, (2, 2), (1, 2)))]),
        {'0': (10, root.numpy().tobytes())})
    expected['old_style_legacy.pth'] = {
        'v1': values(root[1:7].reshape(2, 3)),
        'viewed': values(root[4:10][1:].as_strided((2, 2), (1, 2)))}

    # Hostile files: nothing in them may run, nothing may be allocated from their sizes.
    with open(os.path.join(OUT, 'malicious_legacy.pth'), 'wb') as f:
        f.write(malicious_pickle())
    write_zip(os.path.join(OUT, 'malicious_zip.pth'), 'malicious_zip', malicious_pickle(), {})
    huge = FakeStorage(('storage', torch.FloatStorage, '0', 'cpu', 1 << 40, None))
    legacy_file(os.path.join(OUT, 'huge_storage_legacy.pth'),
                collections.OrderedDict([('w', FakeTensor(huge, 0, (1 << 20, 1 << 20), (1 << 20, 1)))]),
                {'0': (1 << 40, b'\0' * 64)})
    small = FakeStorage(('storage', torch.FloatStorage, '0', 'cpu', 4))
    write_zip(os.path.join(OUT, 'huge_shape_zip.pth'), 'huge_shape_zip',
              pickle_with_ids(collections.OrderedDict([('w', FakeTensor(small, 0, (1 << 31, 1 << 31), (1, 1)))])),
              {'0': b'\0' * 16})
    write_zip(os.path.join(OUT, 'out_of_range_view_zip.pth'), 'out_of_range_view_zip',
              pickle_with_ids(collections.OrderedDict([('w', FakeTensor(small, 2, (2, 2), (2, 1)))])),
              {'0': b'\0' * 16})
    for name in ('tiny_zip.pth', 'tiny_legacy.pth'):
        with open(os.path.join(OUT, name), 'rb') as f:
            data = f.read()
        with open(os.path.join(OUT, name.replace('.pth', '_truncated.pth')), 'wb') as f:
            f.write(data[:int(len(data) * 0.7)])

    with open(os.path.join(OUT, 'expected.json'), 'w') as f:
        json.dump(expected, f, indent=None, separators=(',', ':'))
    print('wrote', sorted(os.listdir(OUT)))


if __name__ == '__main__':
    sys.exit(main())
