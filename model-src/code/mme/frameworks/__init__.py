"""Framework handlers: ``load_model(spec)`` returns an object with ``predict_proba(batch) -> [N, labels]``
(and ``device``, and ``nbytes`` when the framework can count its parameters). Each framework's module
(pytorch.py, sklearn.py, tensorflow.py) is imported only when a model of that framework loads, and
imports its framework then."""
import importlib
import os

_PACKAGES = {"pytorch": "torch", "sklearn": "scikit-learn", "tensorflow": "tensorflow"}
_CLASSES = {"pytorch": "TorchModel", "sklearn": "SklearnModel", "tensorflow": "TensorFlowModel"}


# Leading bytes of what torch.jit.save (a zip) and joblib.dump (a pickle, or one of joblib's
# compressors: zlib, gzip, bz2, xz, lzma, lz4) write.
_MAGIC = {"pytorch": (b"PK\x03\x04",),
          "sklearn": (b"\x80", b"\x78", b"\x1f\x8b", b"BZh", b"\xfd7zXZ", b"\x5d\x00", b"\x04\x22\x4d\x18")}


def check_model_file(spec):
    """A cheap start-time check of one model's artifact (exists, non-empty, the framework's file
    signature; a SavedModel directory holds saved_model.pb). Returns a problem naming the model and
    its file, or None. Loading can still fail later; this catches truncated or garbage files early."""
    where = f"model '{spec.name}' (file {spec.rel_path})"
    if spec.framework == "tensorflow":
        ok = os.path.isfile(os.path.join(spec.path, "saved_model.pb"))
        return None if ok else f"{where}: not a SavedModel directory with saved_model.pb"
    if not os.path.isfile(spec.path):
        return f"{where}: does not exist"
    with open(spec.path, "rb") as f:
        head = f.read(8)
    if not head:
        return f"{where}: is empty"
    if not head.startswith(_MAGIC[spec.framework]):
        kind = "a TorchScript zip" if spec.framework == "pytorch" else "a joblib/pickle file"
        return f"{where}: is not {kind} (starts with {head[:4].hex()}); re-export it or rebuild the archive"
    return None


def load_model(spec, gpu_id=None):
    if not os.path.isfile(spec.path) and not os.path.isdir(spec.path):
        raise FileNotFoundError(f"{spec.path} does not exist (models.json path {spec.rel_path!r})")
    handler = getattr(importlib.import_module(f"mme.frameworks.{spec.framework}"), _CLASSES[spec.framework])
    if spec.framework == "pytorch":
        return handler(spec, gpu_id)
    return handler(spec)


def require(module, spec):
    """Import ``module`` for ``spec``'s model, or raise ImportError naming the package to add."""
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = _PACKAGES[spec.framework]
        raise ImportError(f"model '{spec.name}' uses framework '{spec.framework}' but Python package "
                          f"'{package}' is not installed ({e}); add '{package}==<version>' to "
                          "code/requirements.txt") from e

