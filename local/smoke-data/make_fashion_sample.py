#!/usr/bin/python3
"""Writes local/smoke-data/fashion-mnist-sample.json: 100 Fashion-MNIST test images with labels.

Ten images per class, the first ten of each class in the 10,000-image test set
(/usr/share/datasets/fashion-mnist/t10k-*.gz from Debian's dataset-fashion-mnist).
Fashion-MNIST: Copyright (c) 2017 Zalando SE, MIT licence.
Each image is base64 of its 784 raw bytes (row-major 28x28, 0..255).
Run: /usr/bin/python3 local/smoke-data/make_fashion_sample.py
"""
import base64
import gzip
import json
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from pycli import cli_parser  # noqa: E402 - scripts/pycli.py

SRC = "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
PER_CLASS = 10


def read_idx(path, expect_magic):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, count = struct.unpack(">II", data[:8])
    if magic != expect_magic:
        raise SystemExit(f"{path}: magic {magic:#x}, expected {expect_magic:#x}")
    return count, data


def main():
    n, images = read_idx(os.path.join(SRC, "t10k-images-idx3-ubyte.gz"), 0x803)
    rows, cols = struct.unpack(">II", images[8:16])
    assert (rows, cols) == (28, 28), (rows, cols)
    _, labels = read_idx(os.path.join(SRC, "t10k-labels-idx1-ubyte.gz"), 0x801)
    picked = {c: [] for c in range(len(LABELS))}
    for i in range(n):
        c = labels[8 + i]
        if len(picked[c]) < PER_CLASS:
            picked[c].append(i)
    order = sorted(i for ids in picked.values() for i in ids)
    out = {
        "model": "fashion",
        "source": "Fashion-MNIST test set (t10k), first 10 images of each class; Copyright (c) 2017 Zalando SE, MIT licence",
        "shape": [28, 28],
        "items": [{"index": i, "label": LABELS[labels[8 + i]],
                   "pixels": base64.b64encode(images[16 + i * 784:16 + (i + 1) * 784]).decode()} for i in order],
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fashion-mnist-sample.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
        f.write("\n")
    print(f"wrote {len(order)} images to {path}")


if __name__ == "__main__":
    parser = cli_parser(__doc__, "Takes no options.\n\nexamples:\n  /usr/bin/python3 local/smoke-data/make_fashion_sample.py")
    parser.parse_args()
    main()
