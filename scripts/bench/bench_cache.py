"""Benchmark the model cache of model-src/code (mme/cache.py): hit rate, load time per miss and
request latency, with a budget that holds every model (no eviction) and with a smaller one.

    npm run bench:cache
    npm run bench:cache -- --models 8 --mb-per-step 4 --budget-fraction 0.3 --requests 500

Generates N TorchScript MLPs in a temporary folder (model i holds about (i+1) x --mb-per-step
MiB of parameters), then sends --requests requests (a batch of 8 each) through input_fn ->
predict_fn -> output_fn, choosing models with a skewed (Zipf, s=1) distribution and a fixed
seed, after a warm-up pass that loads each model once (disk cache, first-load initialisation).
Runs on CUDA when available, else CPU; the device is printed with the figures. On a shared
CPU the absolute latencies are noisy; the hit rate and the miss/hit ratio are the useful part.
"""
import json
import os
import statistics
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "scripts"))
from pycli import cli_parser  # noqa: E402 - scripts/pycli.py
N_IN, N_OUT = 64, 4


def make_models(root, n, mb_per_step):
    import torch
    from torch import nn
    entries = []
    for i in range(n):
        target = (i + 1) * mb_per_step * 2**20
        hidden = max(8, int(target / 4 / (N_IN + 1 + N_OUT)))
        torch.manual_seed(i)
        net = nn.Sequential(nn.Linear(N_IN, hidden), nn.ReLU(), nn.Linear(hidden, N_OUT)).eval()
        os.makedirs(os.path.join(root, f"m{i}"))
        torch.jit.script(net).save(os.path.join(root, f"m{i}", "model.pt"))
        params = sum(p.numel() * p.element_size() for p in net.parameters())
        entries.append({"name": f"m{i}", "framework": "pytorch", "path": f"m{i}/model.pt", "task": "bench",
                        "labels": [f"c{k}" for k in range(N_OUT)],
                        "input": {"kind": "tabular", "shape": [N_IN], "dtype": "float32", "range": [-1, 1],
                                  "maxBatch": 8},
                        "memoryBytes": params + 64 * 1024})
    with open(os.path.join(root, "models.json"), "w") as f:
        json.dump({"models": entries}, f)
    return entries


def pct(values, q):
    return float(np.percentile(values, q)) * 1000 if values else float("nan")


def run(router_class, root, budget, names, body_of):
    import stages
    router = router_class.from_dir(root, environ={"MODEL_CACHE_BYTES": str(budget)})
    hit_ms, miss_ms = [], []
    for name in names:
        misses = router.cache.stats["misses"]
        t = time.perf_counter()
        data = stages.input_fn(body_of[name], "application/json")
        stages.output_fn(stages.predict_fn(data, router), "application/json")
        elapsed = time.perf_counter() - t
        (miss_ms if router.cache.stats["misses"] > misses else hit_ms).append(elapsed)
    s = router.cache.stats
    return {"budget": budget, "hit_rate": len(hit_ms) / len(names), "misses": len(miss_ms),
            "evictions": sum(s["evictions"].values()), "load_ms": s["load_seconds"] / sum(s["loads"].values()) * 1000,
            "hit": hit_ms, "miss": miss_ms, "all": hit_ms + miss_ms, "peak": s["peak_bytes"]}


def main(argv=None):
    parser = cli_parser(__doc__, "examples:\n  npm run bench:cache\n"
                                 "  npm run bench:cache -- --models 8 --budget-fraction 0.5 --requests 500")
    parser.add_argument("--models", type=int, default=6)
    parser.add_argument("--mb-per-step", type=float, default=2.0, help="model i has ~(i+1) x this many MiB")
    parser.add_argument("--budget-fraction", type=float, default=0.4, help="of all models' memoryBytes together")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.join(REPO, "model-src", "code"))
    from mme.router import Router
    import torch
    torch.set_num_threads(args.threads)
    device = (f"CUDA {torch.cuda.get_device_name()}" if torch.cuda.is_available()
              else f"CPU ({os.cpu_count()} cores, torch {torch.__version__}, {args.threads} threads)")

    with tempfile.TemporaryDirectory() as root:
        entries = make_models(root, args.models, args.mb_per_step)
        sizes = [e["memoryBytes"] for e in entries]
        total = sum(sizes)
        budget = max(int(total * args.budget_fraction), max(sizes))
        weights = 1 / np.arange(1, args.models + 1)
        rng = np.random.default_rng(args.seed)
        names = [f"m{i}" for i in rng.choice(args.models, size=args.requests, p=weights / weights.sum())]
        x = np.random.default_rng(0).uniform(-1, 1, size=(8, N_IN)).round(4).tolist()
        body_of = {e["name"]: json.dumps({"model": e["name"], "inputs": x}) for e in entries}
        print(f"device: {device}")
        print(f"{args.models} models of {', '.join(f'{s / 2**20:.1f}' for s in sizes)} MiB "
              f"(total {total / 2**20:.1f} MiB); {args.requests} requests of 8 inputs, Zipf-skewed, seed {args.seed}")
        print(f"{'budget':>22s} {'hit rate':>8s} {'misses':>6s} {'evict':>5s} {'load/miss':>9s} "
              f"{'hit p50':>8s} {'hit p95':>8s} {'miss p50':>8s} {'all mean':>8s} {'all p95':>8s}")
        run(Router, root, total, [e["name"] for e in entries], body_of)  # warm-up: file cache, first-load init
        for label, b in (("all fit (no eviction)", total), (f"{args.budget_fraction:g} of total", budget)):
            r = run(Router, root, b, names, body_of)
            assert r["peak"] <= b
            print(f"{label + f' {b / 2**20:.1f} MiB':>22s} {r['hit_rate']:8.1%} {r['misses']:6d} {r['evictions']:5d} "
                  f"{r['load_ms']:7.1f}ms {pct(r['hit'], 50):6.2f}ms {pct(r['hit'], 95):6.2f}ms "
                  f"{pct(r['miss'], 50):6.2f}ms {statistics.mean(r['all']) * 1000:6.2f}ms {pct(r['all'], 95):6.2f}ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
