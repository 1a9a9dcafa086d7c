"""The model cache's settings from the container environment: its memory budget
(MODEL_CACHE_BYTES, MODEL_CACHE_FRACTION, the device's memory and the workers sharing it) and its
timings (MODEL_LOAD_RETRY_SECONDS, MODEL_CACHE_WAIT_SECONDS)."""
import importlib
import json
import math
import os

from mme.logs import mb


# The defaults when a variable is not set; the deploy side (config/schema.ts) reads the same file.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "cache_defaults.json")) as _f:
    DEFAULTS = json.load(_f)
DEFAULT_FRACTION = DEFAULTS["MODEL_CACHE_FRACTION"]  # of device memory, divided by the workers sharing that device


def cache_budget(environ, specs, gpu_id=None):
    """Return (bytes, explanation). MODEL_CACHE_BYTES wins; else MODEL_CACHE_FRACTION of the
    device's total memory: the CUDA device's (torch.cuda.mem_get_info) when a pytorch model is
    listed and CUDA is available, else the machine's RAM (physical pages, capped by the cgroup
    memory limit). Without a fraction the default is 0.5 / the workers sharing the device: on
    CUDA ceil(SAGEMAKER_MODEL_SERVER_WORKERS / torch.cuda.device_count()), because TorchServe
    hands the GPUs to the workers round-robin; on CPU all SAGEMAKER_MODEL_SERVER_WORKERS share the RAM.
    sagemaker/checks/memoryBudget.ts (cacheBudgetBytes) mirrors this for the preview check."""
    raw = environ.get("MODEL_CACHE_BYTES")
    if raw not in (None, ""):
        try:
            value = int(raw)
        except ValueError:
            value = 0
        if value <= 0:
            raise ValueError(f"MODEL_CACHE_BYTES={raw!r}: expected a positive integer number of bytes")
        return value, "MODEL_CACHE_BYTES"
    workers = max(1.0, _env_float(environ, "SAGEMAKER_MODEL_SERVER_WORKERS", 1.0))
    fraction = None
    if environ.get("MODEL_CACHE_FRACTION") not in (None, ""):
        fraction = _env_float(environ, "MODEL_CACHE_FRACTION", DEFAULT_FRACTION)
        if not 0 < fraction <= 1:
            raise ValueError(f"MODEL_CACHE_FRACTION={environ['MODEL_CACHE_FRACTION']!r}: expected a number in (0, 1]")
    may_use_cuda = any(s.framework == "pytorch" for s in specs.values())
    total, device = device_total_memory(may_use_cuda, gpu_id)
    if fraction is not None:
        why = f"MODEL_CACHE_FRACTION={fraction:g}"
    else:
        gpus = cuda_device_count(may_use_cuda) if device != "CPU" else 0
        sharing = math.ceil(workers / gpus) if gpus > 0 else workers
        fraction = DEFAULT_FRACTION / sharing
        why = (f"default fraction {DEFAULT_FRACTION:g} / {sharing:g} worker(s) sharing the GPU "
               f"({workers:g} worker(s) over {gpus} GPU(s))" if gpus > 0
               else f"default fraction {DEFAULT_FRACTION:g} / {workers:g} worker(s)")
    return int(total * fraction), f"{why} of {mb(total)} {device} memory"


def cuda_device_count(may_use_cuda):
    """GPUs TorchServe spreads the workers over (0 without CUDA)."""
    if may_use_cuda:
        try:
            torch = importlib.import_module("torch")
            if torch.cuda.is_available():
                return int(torch.cuda.device_count())
        except ImportError:
            pass
    return 0


def device_total_memory(may_use_cuda, gpu_id=None):
    if may_use_cuda:
        try:
            torch = importlib.import_module("torch")
            if torch.cuda.is_available():
                dev = torch.device("cuda", gpu_id or 0)
                return int(torch.cuda.mem_get_info(dev)[1]), f"CUDA {dev} ({torch.cuda.get_device_name(dev)})"
        except ImportError:
            pass
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            with open(limit_file) as f:
                text = f.read().strip()
            if text.isdigit():
                total = min(total, int(text))
        except OSError:
            pass
    return total, "CPU"


def _env_float(environ, key, default):
    raw = environ.get(key)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"{key}={raw!r}: expected a number") from None


def cache_timings(environ):
    """(retry_seconds, wait_seconds): how long after a failed load its requests get a 500 before it
    is retried, and how long a request waits for cache room or a running load before a 503."""
    return (_env_float(environ, "MODEL_LOAD_RETRY_SECONDS", float(DEFAULTS["MODEL_LOAD_RETRY_SECONDS"])),
            _env_float(environ, "MODEL_CACHE_WAIT_SECONDS", float(DEFAULTS["MODEL_CACHE_WAIT_SECONDS"])))
