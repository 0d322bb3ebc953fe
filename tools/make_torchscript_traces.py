#!/usr/bin/python3
"""Makes the TorchScript traces that `bin/convzoo bench --torchscript-dir DIR` compares against.

Run with Debian's PyTorch (/usr/bin/python3, torch 1.13, no torchvision), pointing at checkouts of
the official code (not part of ConvZoo, e.g. fetched to /tmp):

    /usr/bin/python3 tools/make_torchscript_traces.py --out /tmp/traces \
        --pyconv /tmp/pyconv_official --res2net /tmp/res2net_official \
        --octconv /tmp/octconv_official --dyconv /tmp/dyconv_official

For every model whose official code is given it builds the official network with random weights,
puts it in eval mode and writes DIR/<id>.pt, a torch.jit.trace at batch 1 of a 3x224x224 image
(not frozen: the same kind of file the issue's reference numbers were taken with). The trace is run
again at batch 8 and compared with the eager model; where a trace bakes the batch size in (a
reshape by a traced constant), DIR/<id>.b8.pt is traced at batch 8 as well and the bench picks it.

With --train it writes, instead, training-mode traces for `bin/convzoo bench --train`:
DIR/<id>.train.b<N>.pt for each batch N of --train-batches (default 16,32) at --train-size
(default 64) pixels, traced with the model in train mode (BatchNorm on batch statistics, the batch
baked in where the official code reshapes by it), so DJL trains it as a PtSymbolBlock
(option trainParam=true):

    /usr/bin/python3 tools/make_torchscript_traces.py --train --out /tmp/traces ...

With --onnx it writes, instead, DIR/<id>.onnx: torch.onnx.export of the same eval-mode official
network (opset 17, dynamic batch), which `bin/convzoo bench --ort` runs on ONNX Runtime as the
"onnxruntime" column (ONNX Runtime folds the BatchNorms itself). A model whose dynamic-batch export
fails (the dynamic convolution folds the batch into its conv's groups) is exported once per batch of
--onnx-batches instead, DIR/<id>.b<N>.onnx, which the bench uses for batch N:

    /usr/bin/python3 tools/make_torchscript_traces.py --onnx --out /tmp/traces ...

resnet50 is the torchvision ResNet-50 layout (Bottleneck with the stride on the 3x3 conv), written
here because Debian's PyTorch has no torchvision; it is the bench's reference architecture.
"""
import argparse
import os
import sys

import torch
import torch.nn as nn


class TvBottleneck(nn.Module):
    """torchvision's ResNet Bottleneck (v1.5: stride on the 3x3 conv)."""
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        out = planes * self.expansion
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.conv3 = nn.Conv2d(planes, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = None
        if stride != 1 or inplanes != out:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        y = self.relu(self.bn1(self.conv1(x)))
        y = self.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return self.relu(y + identity)


class TvResNet50(nn.Module):
    """torchvision resnet50: 7x7/2 stem, max pool, layers [3, 4, 6, 3], global average pool, fc."""

    def __init__(self, num_classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, (planes, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)]):
            layers = []
            for b in range(blocks):
                layers.append(TvBottleneck(inplanes, planes, stride if b == 0 else 1))
                inplanes = planes * 4
            setattr(self, "layer%d" % (i + 1), nn.Sequential(*layers))
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def randomize_bn(model):
    """Non-trivial BatchNorm statistics, so a trace cannot be simplified around identity BNs."""
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=g) + 0.5)


def builders(args):
    """id -> zero-argument builder of the official eval-mode model."""
    out = {"resnet50": TvResNet50}
    if args.pyconv:
        import types
        sys.modules.setdefault("requests", types.ModuleType("requests"))
        sys.path.insert(0, args.pyconv)
        from models import pyconvresnet
        out["pyconvresnet50"] = pyconvresnet.pyconvresnet50
        out["pyconvresnet101"] = pyconvresnet.pyconvresnet101
    if args.res2net:
        sys.path.insert(0, args.res2net)
        import res2net
        import res2net_v1b
        out["res2net50_26w_4s"] = res2net.res2net50_26w_4s
        out["res2net50_v1b"] = res2net_v1b.res2net50_v1b
    if args.octconv:
        sys.path.insert(0, args.octconv)
        import oct_resnet
        out["oct_resnet50"] = oct_resnet.oct_resnet50
    if args.dyconv:
        sys.path.insert(0, args.dyconv)
        sys.path.insert(0, os.path.join(args.dyconv, "dynamic_models"))
        import dy_resnet
        out["dy_resnet18"] = dy_resnet.resnet18
        out["dy_resnet50"] = dy_resnet.resnet50
    return out


def first_tensor(y):
    return y[0] if isinstance(y, (tuple, list)) else y


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", required=True, help="directory for <id>.pt")
    p.add_argument("--pyconv", help="checkout of iduta/pyconv")
    p.add_argument("--res2net", help="directory with the official res2net.py, res2net_v1b.py")
    p.add_argument("--octconv", help="checkout of d-li14/octconv.pytorch")
    p.add_argument("--dyconv", help="checkout of kaijieshi7/Dynamic-convolution-Pytorch")
    p.add_argument("--models", help="comma-separated ids (default: all available)")
    p.add_argument("--train", action="store_true", help="write training-mode traces <id>.train.b<N>.pt instead")
    p.add_argument("--onnx", action="store_true", help="write ONNX exports <id>.onnx instead")
    p.add_argument("--onnx-batches", default="1,8",
                   help="batch sizes of the fixed-batch ONNX exports of a model without a dynamic-batch one (default 1,8)")
    p.add_argument("--train-size", type=int, default=64, help="input side of the training traces (default 64)")
    p.add_argument("--train-batches", default="16,32", help="batch sizes of the training traces (default 16,32)")
    args = p.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(0)
    table = builders(args)
    wanted = args.models.split(",") if args.models else list(table)
    for model_id in wanted:
        if model_id not in table:
            sys.exit("no official code given for %s (known: %s)" % (model_id, ", ".join(table)))
        model = table[model_id]()
        if args.train:
            write_train_traces(model_id, model, args)
            continue
        randomize_bn(model)
        model.eval()
        if args.onnx:
            write_onnx(model_id, model, args)
            continue
        with torch.no_grad():
            x1 = torch.randn(1, 3, 224, 224)
            traced = torch.jit.trace(model, x1, check_trace=False)
            path = os.path.join(args.out, model_id + ".pt")
            traced.save(path)
            x8 = torch.randn(8, 3, 224, 224)
            ok = False
            try:
                ok = torch.allclose(first_tensor(traced(x8)), first_tensor(model(x8)), atol=1e-4, rtol=1e-4)
            except RuntimeError:
                pass
            params = sum(t.numel() for t in model.parameters())
            print("%-20s %10d params -> %s%s" % (model_id, params, path, "" if ok else " (batch 8 needs its own trace)"))
            if not ok:
                torch.jit.trace(model, x8, check_trace=False).save(os.path.join(args.out, model_id + ".b8.pt"))


def write_onnx(model_id, model, args):
    path = os.path.join(args.out, model_id + ".onnx")
    x = torch.randn(2, 3, 224, 224)
    try:
        with torch.no_grad():
            torch.onnx.export(model, x, path, opset_version=17, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}})
    except Exception as e:  # noqa: BLE001 - report any exporter failure, then try fixed batches
        print("%-20s no dynamic-batch ONNX export: %s" % (model_id, str(e).splitlines()[0]))
        for batch in (int(b) for b in args.onnx_batches.split(",")):
            fixed = os.path.join(args.out, "%s.b%d.onnx" % (model_id, batch))
            try:
                with torch.no_grad():
                    torch.onnx.export(model, torch.randn(batch, 3, 224, 224), fixed, opset_version=17,
                                      input_names=["input"], output_names=["output"])
            except Exception as e2:  # noqa: BLE001
                print("%-20s no ONNX export at batch %d: %s" % (model_id, batch, str(e2).splitlines()[0]))
                continue
            print("%-20s -> %s" % (model_id, fixed))
        return
    print("%-20s -> %s" % (model_id, path))


def write_train_traces(model_id, model, args):
    model.train()
    for batch in (int(b) for b in args.train_batches.split(",")):
        x = torch.randn(batch, 3, args.train_size, args.train_size)
        traced = torch.jit.trace(model, x, check_trace=False)
        path = os.path.join(args.out, "%s.train.b%d.pt" % (model_id, batch))
        traced.save(path)
        y = first_tensor(traced(x))
        y.sum().backward()  # the trace trains: gradients reach its parameters
        with_grad = sum(1 for t in traced.parameters() if t.grad is not None)
        print("%-20s train trace, batch %d, %dx%d -> %s (%d parameters get gradients)"
              % (model_id, batch, args.train_size, args.train_size, path, with_grad))


if __name__ == "__main__":
    main()
