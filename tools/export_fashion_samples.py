#!/usr/bin/env python3
"""Writes the first test image of each Fashion-MNIST class as a 28x28 grayscale PNG.

Reads the IDX files of Debian's dataset-fashion-mnist package (or a directory given as the first
argument) and writes samples/fashion-mnist/<index>-<class>.png, the sample images the README's main
job classifies. Needs Pillow (Debian python3-pil).
"""
import gzip
import os
import struct
import sys

from PIL import Image

CLASSES = ["t-shirt-top", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag",
           "ankle-boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    dims = magic & 0xFF
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    out = sys.argv[2] if len(sys.argv) > 2 else "samples/fashion-mnist"
    (n, h, w), pixels = read_idx(os.path.join(src, "t10k-images-idx3-ubyte.gz"))
    (_,), labels = read_idx(os.path.join(src, "t10k-labels-idx1-ubyte.gz"))
    os.makedirs(out, exist_ok=True)
    seen = set()
    for i in range(n):
        label = labels[i]
        if label in seen:
            continue
        seen.add(label)
        img = Image.frombytes("L", (w, h), pixels[i * h * w:(i + 1) * h * w])
        img.save(os.path.join(out, "%05d-%s.png" % (i, CLASSES[label])))
        if len(seen) == len(CLASSES):
            break


if __name__ == "__main__":
    main()
