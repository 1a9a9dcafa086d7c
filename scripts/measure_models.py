"""Measure each manifest model's real memory footprint and write it to models.json.

    npm run measure-models                      # measures model-src/, writes memoryBytes
    npm run measure-models -- --dry-run         # print only
    npm run measure-models -- --model-dir DIR   # another model directory

Per model, on the current device (CUDA when available, else CPU):
  resident = parameter + buffer bytes (PyTorch), or the bytes Python/numpy allocate while
             loading it a second time, its framework already imported (scikit-learn,
             TensorFlow; via tracemalloc)
  working  = the extra peak memory of ONE batch of the manifest's maxBatch worst-case inputs
             (CUDA: torch.cuda.max_memory_allocated; CPU: the larger of the tracemalloc peak and
             the process's resident-set high-water mark, reset through /proc/self/clear_refs)
  memoryBytes = resident + working, rounded up to 64 KiB.
Figures measured on CPU are a stand-in for GPU ones: re-run on the GPU instance type you deploy.
"""
import gc
import json
import os
import sys
import time
import tracemalloc

import numpy as np

from pycli import cli_parser

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROUND = 64 * 1024


def rss_peak_reset():
    """Reset the resident-set high-water mark; False when the kernel does not allow it."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def proc_status(key):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def worst_case_batch(spec, rng):
    n = int(spec.input.get("maxBatch", 1))
    if spec.input.get("kind") == "text":
        length = int(spec.input.get("maxLength", 1000))
        letters = np.array(list("abcdefghijklmnopqrstuvwxyz    "))  # random words: many distinct n-grams
        return ["".join(rng.choice(letters, size=length)) for _ in range(n)]
    lo, hi = spec.input.get("range", (0, 1))
    shape = [n] + list(spec.input.get("shape", []))
    return rng.uniform(lo, hi, size=shape).astype(spec.input.get("dtype", "float32"))


def measure(load_model, spec, torch):
    cuda = torch is not None and torch.cuda.is_available() and spec.framework == "pytorch"
    batch = worst_case_batch(spec, np.random.default_rng(0))
    if spec.framework != "pytorch":  # a first, untraced load imports the framework's modules
        load_model(spec).predict_proba(batch[:1])
    gc.collect()
    tracemalloc.start()
    t = time.perf_counter()
    model = load_model(spec)
    load_s = time.perf_counter() - t
    loaded_py = tracemalloc.get_traced_memory()[0]
    resident = getattr(model, "nbytes", None) or loaded_py
    model.predict_proba(batch[:1])  # warm-up: lazy initialisation is not per-batch memory
    tracemalloc.reset_peak()
    before_py = tracemalloc.get_traced_memory()[0]
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
        before_dev = torch.cuda.memory_allocated()
    rss_ok = rss_peak_reset()
    before_rss = proc_status("VmRSS")
    t = time.perf_counter()
    model.predict_proba(batch)
    batch_s = time.perf_counter() - t
    py_peak = tracemalloc.get_traced_memory()[1] - before_py
    tracemalloc.stop()
    if cuda:
        torch.cuda.synchronize()
        working, how = torch.cuda.max_memory_allocated() - before_dev, "CUDA peak allocated"
    else:
        rss_peak = proc_status("VmHWM") - before_rss if rss_ok else 0
        working = max(py_peak, rss_peak)
        how = "max(tracemalloc peak, RSS high-water mark)" if rss_ok else "tracemalloc peak"
    total = -(-(resident + max(0, working)) // ROUND) * ROUND
    return {"resident": int(resident), "working": int(max(0, working)), "memoryBytes": int(total),
            "device": "cuda" if cuda else "cpu", "how": how, "load_s": load_s, "batch_s": batch_s,
            "batch": len(batch)}


def main(argv=None):
    parser = cli_parser(__doc__, "examples:\n  npm run measure-models -- --dry-run\n  npm run measure-models")
    parser.add_argument("--model-dir", default=os.path.join(REPO, "model-src"), help="default model-src/")
    parser.add_argument("--dry-run", action="store_true", help="print the figures, do not write models.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.join(args.model_dir, "code"))
    from mme.frameworks import load_model
    from mme.manifest import read_manifest

    specs = read_manifest(args.model_dir)
    torch = None
    if any(s.framework == "pytorch" for s in specs.values()):
        import torch
        torch.set_num_threads(2)
    results = {}
    for name, spec in specs.items():
        r = results[name] = measure(load_model, spec, torch)
        print(f"{name:12s} {spec.framework:10s} resident {r['resident'] / 2**20:7.2f} MiB  working "
              f"{r['working'] / 2**20:7.2f} MiB (batch of {r['batch']}, {r['how']}, {r['device']})  -> memoryBytes "
              f"{r['memoryBytes']} (was {spec.memory_bytes}); load {r['load_s']:.3f} s, batch {r['batch_s']:.3f} s")
    if args.dry_run:
        print("dry run: models.json not written")
        return 0
    path = os.path.join(args.model_dir, "models.json")
    with open(path, encoding="utf-8") as f:
        manifest = json.load(f)
    for entry in manifest["models"]:
        if entry["name"] in results:
            entry["memoryBytes"] = results[entry["name"]]["memoryBytes"]
    with open(path, "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    print(f"wrote memoryBytes of {len(results)} model(s) to {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
