"""The training helpers (training/common.py, train_sentiment.read_csv) and the trained artifacts'
self-containment. Training itself is not re-run here (minutes of CPU): `npm run train`."""
import gzip
import json
import os
import struct

import numpy as np
import pytest

import common
from common import SENTIMENT_CSV
from conftest import MODEL_SRC, REPO


def write_idx(path, arr, dtype_code=0x08, magic_zero=0):
    header = struct.pack(">HBB", magic_zero, dtype_code, arr.ndim) + struct.pack(">" + "I" * arr.ndim, *arr.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + arr.tobytes())


def test_load_idx_reads_a_gzipped_idx_file_into_an_array_of_its_shape(tmp_path):
    arr = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    write_idx(tmp_path / "x.gz", arr)
    out = common.load_idx(str(tmp_path / "x.gz"))
    assert out.dtype == np.uint8 and out.shape == (2, 3, 4) and (out == arr).all()


def test_load_idx_refuses_a_file_that_is_not_idx_or_is_truncated(tmp_path):
    write_idx(tmp_path / "bad.gz", np.zeros((2, 2), np.uint8), magic_zero=7)
    with pytest.raises(ValueError, match="not an IDX file"):
        common.load_idx(str(tmp_path / "bad.gz"))
    with gzip.open(tmp_path / "short.gz", "wb") as f:
        f.write(struct.pack(">HBBII", 0, 0x08, 2, 3, 3) + b"\0" * 5)
    with pytest.raises(ValueError, match=r"header says \(3, 3\) but holds 5 values"):
        common.load_idx(str(tmp_path / "short.gz"))


def test_the_real_fashion_mnist_test_set_has_10000_images_of_28x28_and_10_classes():
    from conftest import FASHION_DIR
    images = common.load_idx(os.path.join(FASHION_DIR, "t10k-images-idx3-ubyte.gz"))
    labels = common.load_idx(os.path.join(FASHION_DIR, "t10k-labels-idx1-ubyte.gz"))
    assert images.shape == (10000, 28, 28) and sorted(set(labels.tolist())) == list(range(10))


def test_read_csv_takes_the_last_field_as_the_label_even_when_the_text_has_commas(tmp_path):
    import train_sentiment
    path = tmp_path / "s.csv"
    path.write_text('selected_text,sentiment\nplain text,0\n"quoted, with comma",1\nunquoted, comma, twice,2\n')
    texts, labels = train_sentiment.read_csv(str(path))
    assert texts == ["plain text", "quoted, with comma", "unquoted, comma, twice"]
    assert labels.tolist() == [0, 1, 2]


def test_read_csv_refuses_an_unknown_label_naming_the_line(tmp_path):
    import train_sentiment
    path = tmp_path / "s.csv"
    path.write_text("selected_text,sentiment\nok,0\nbad,positive\n")
    with pytest.raises(ValueError, match=r"s\.csv:3: label 'positive' is not 0, 1 or 2"):
        train_sentiment.read_csv(str(path))


def test_the_real_sentiment_csv_has_the_documented_label_counts():
    import train_sentiment
    texts, labels = train_sentiment.read_csv(SENTIMENT_CSV)
    assert len(texts) == 27481 and np.bincount(labels).tolist() == [11118, 7781, 8582]


def test_update_manifest_sets_the_training_fields_and_keeps_pinned_memory_and_other_models(tmp_path, monkeypatch):
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"models": [
        {"name": "a", "framework": "pytorch", "labels": ["old"], "memoryBytes": 123, "pinned": True},
        {"name": "other", "framework": "sklearn", "memoryBytes": 7}]}))
    monkeypatch.setattr(common, "MANIFEST", str(path))
    common.update_manifest({"name": "a", "framework": "pytorch", "labels": ["x", "y"]}, estimate_bytes=999)
    common.update_manifest({"name": "new", "framework": "sklearn", "labels": ["z"]}, estimate_bytes=555)
    models = {m["name"]: m for m in json.loads(path.read_text())["models"]}
    assert models["a"] == {"name": "a", "framework": "pytorch", "labels": ["x", "y"], "memoryBytes": 123,
                           "pinned": True}
    assert models["other"] == {"name": "other", "framework": "sklearn", "memoryBytes": 7}
    assert models["new"]["memoryBytes"] == 555 and "pinned" not in models["new"]


def test_the_fashion_artifact_is_self_contained_and_normalises_raw_pixels_itself():
    import torch
    module = torch.jit.load(os.path.join(MODEL_SRC, "fashion", "model.pt"))  # no training code imported
    pixels = torch.randint(0, 256, (3, 28, 28), generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        as_uint8 = module(pixels.to(torch.uint8))
        as_float = module(pixels.to(torch.float32))
    assert as_uint8.shape == (3, 10) and torch.allclose(as_uint8, as_float)


def test_the_documented_fashion_figures_are_the_shipped_artifacts_on_the_10000_test_images():
    import evaluate_fashion
    with open(common.FIGURES, encoding="utf-8") as f:
        documented = json.load(f)["fashion"]
    assert evaluate_fashion.measure() == documented
