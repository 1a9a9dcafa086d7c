"""A batch checked against its model's manifest entry (batch size, text length, shape, dtype,
range); returns what the framework handler takes. Every problem message names the input's
index. Pure."""
import math

import numpy as np

from mme.errors import bad
from mme.request import type_name


_NUMERIC_DTYPES = {"uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"}
_MAX_PROBLEMS = 5


def validate_inputs(spec, inputs):
    """Check a batch against the manifest entry; return what the framework handler takes
    (numpy array of the manifest dtype, or a list of str). Raises InferenceError."""
    n, limit = len(inputs), spec.input.get("maxBatch")
    if n == 0:
        raise bad("empty_batch", f"field 'inputs' is an empty list; send 1 to {limit} inputs for model '{spec.name}'")
    if limit is not None and n > limit:
        raise bad("batch_too_large", f"field 'inputs' holds {n} items but model '{spec.name}' accepts at most "
                                     f"{limit} per request (manifest maxBatch); split the batch", 413)
    if spec.input.get("kind") == "text":
        return _validate_texts(spec, inputs)
    return _validate_arrays(spec, inputs)


def _validate_texts(spec, inputs):
    max_len = spec.input.get("maxLength")
    problems = []
    for i, item in enumerate(inputs):
        if not isinstance(item, str):
            problems.append(f"inputs[{i}] is {type_name(item)}, expected a string")
        elif max_len is not None and len(item) > max_len:
            problems.append(f"inputs[{i}] has {len(item)} characters, expected at most {max_len}")
    _raise_problems(spec, problems, "a list of strings")
    return list(inputs)


def _validate_arrays(spec, inputs):
    shape = tuple(spec.input.get("shape", ()))
    dtype = spec.input.get("dtype", "float32")
    lo, hi = spec.input.get("range", (-math.inf, math.inf))
    what = f"a list of {'x'.join(map(str, shape)) or 'scalar'} arrays of numbers {lo}..{hi} ({dtype})"
    try:
        arr = np.asarray(inputs)
    except (ValueError, TypeError):  # ragged nesting
        arr = None
    if arr is None or arr.shape != (len(inputs),) + shape or arr.dtype.kind not in "iuf":
        problems = []
        for i, item in enumerate(inputs):
            p = _item_problem(item, shape, f"inputs[{i}]")
            if p:
                problems.append(p)
        if not problems:  # every item has the right shape and types: a number numpy cannot hold
            problems.append("a number is too large to convert (beyond 64-bit range)")
        if shape and _item_problem(inputs, shape, "inputs") is None:
            problems = [f"inputs looks like ONE input of shape {list(shape)}; send a batch: [input]"]
        _raise_problems(spec, problems, what)
    problems = []
    for i, item in enumerate(inputs):  # JSON true/false would silently become 1/0 in numpy
        where = _find_bool(item, len(shape), f"inputs[{i}]")
        if where:
            problems.append(f"{where} is a boolean, expected a number")
    total = len(problems)
    if not problems and arr.dtype.kind == "f":
        problems, total = _value_problems(arr, ~np.isfinite(arr), "expected a finite number")
        if not problems and dtype.startswith(("int", "uint")):
            problems, total = _value_problems(arr, arr != np.floor(arr), f"expected an integer ({dtype})")
    if not problems:
        problems, total = _value_problems(arr, (arr < lo) | (arr > hi), f"expected a value in {lo}..{hi}")
    _raise_problems(spec, problems, what, total)
    return arr.astype(dtype if dtype in _NUMERIC_DTYPES else "float32", copy=False)


def _value_problems(arr, mask, expected):
    """Messages for the first values where ``mask`` is set, and how many there are in all."""
    idx = np.argwhere(mask)
    return [f"{_index_path(ix)} is {arr[tuple(ix)]}, {expected}" for ix in idx[:_MAX_PROBLEMS]], len(idx)


def _raise_problems(spec, problems, what, total=None):
    """Raise 400 invalid_input listing the first problems and how many more there are."""
    if problems:
        total = max(total or 0, len(problems))
        shown = problems[:_MAX_PROBLEMS] + ([f"and {total - _MAX_PROBLEMS} more"] if total > _MAX_PROBLEMS else [])
        raise bad("invalid_input", f"model '{spec.name}' expects 'inputs' as {what}: " + "; ".join(shown))


def _index_path(ix):
    return "inputs" + "".join(f"[{int(k)}]" for k in ix)


def _item_problem(item, shape, path):
    """First problem of one input against ``shape`` (None when it fits)."""
    if not shape:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            return f"{path} is {type_name(item)}, expected a number"
        return None
    if not isinstance(item, list):
        return f"{path} is {type_name(item)}, expected a list of {shape[0]}"
    if len(item) != shape[0]:
        return f"{path} has {len(item)} items, expected {shape[0]}"
    for k, sub in enumerate(item):
        p = _item_problem(sub, shape[1:], f"{path}[{k}]")
        if p:
            return p
    return None


def _find_bool(item, depth, path):
    if depth == 0:
        return path if type(item) is bool else None
    if depth == 1:
        if bool in set(map(type, item)):
            return f"{path}[{next(k for k, v in enumerate(item) if type(v) is bool)}]"
        return None
    for k, sub in enumerate(item):
        where = _find_bool(sub, depth - 1, f"{path}[{k}]")
        if where:
            return where
    return None

