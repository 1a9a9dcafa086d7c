"""Helpers shared by the training scripts (not packed into the model archive).

- ``load_idx``: parse a gzipped IDX file (the Fashion-MNIST format) with numpy.
- ``update_manifest``: write the fields a training script owns into
  ``model-src/models.json`` while keeping every other field and model as it is.
- ``record_figures``: write a model's training figures (accuracy, data sizes) into
  ``training/figures.json``, which the docs' model table is generated from.
"""
import gzip
import json
import os
import struct
import sys

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL_SRC = os.path.join(REPO, "model-src")
MANIFEST = os.path.join(MODEL_SRC, "models.json")
# The sentiment data set, kept in the repository with its licence (training/data/README.md).
SENTIMENT_CSV = os.path.join(REPO, "training", "data", "sentiment.csv")
FIGURES = os.path.join(REPO, "training", "figures.json")

sys.path.insert(0, os.path.join(REPO, "scripts"))
from pycli import cli_parser  # noqa: E402,F401 - the training scripts' command line, as every script's

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def load_idx(path):
    """Return the array stored in the gzipped IDX file at ``path``."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (magic bytes {data[:4]!r})")
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=_IDX_DTYPES[dtype_code], offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f"{path}: header says {dims} but holds {arr.size} values")
    return arr.reshape(dims)


def update_manifest(entry, estimate_bytes):
    """Set ``entry``'s fields on the model of the same name in models.json.

    ``memoryBytes`` is kept when already present (``npm run measure-models``
    writes measured values there); otherwise ``estimate_bytes`` is used.
    ``pinned`` is kept as it is (a deployment choice, not a training output).
    """
    manifest = {"models": []}
    if os.path.exists(MANIFEST):
        with open(MANIFEST, encoding="utf-8") as f:
            manifest = json.load(f)
    models = manifest.setdefault("models", [])
    current = next((m for m in models if m.get("name") == entry["name"]), None)
    if current is None:
        current = {}
        models.append(current)
    current.update(entry)
    current.setdefault("memoryBytes", int(estimate_bytes))
    with open(MANIFEST, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"updated {os.path.relpath(MANIFEST, REPO)}: model {entry['name']!r} "
          f"(memoryBytes {current['memoryBytes']}; `npm run measure-models` measures it)")


def record_figures(name, figures, path=FIGURES):
    """Replace model ``name``'s entry in the training figures file, keeping the other models'."""
    data = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    data[name] = figures
    with open(path, "w", encoding="utf-8") as f:
        json.dump(dict(sorted(data.items())), f, indent=2, sort_keys=True)
        f.write("\n")
