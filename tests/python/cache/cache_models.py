"""Real TorchScript models for the cache tests (tests/python/cache/): small MLPs whose parameters fit the
memoryBytes they declare, each always predicting its own class, and a router over them."""
import json
import os

from mme.router import Router
from conftest import invoke

UNIT = 100_000  # bytes; every generated model declares a multiple of it as memoryBytes
N_IN, N_OUT = 16, 4


def make_mlp(path, hidden, klass):
    """A TorchScript MLP 16 -> hidden -> 4 whose prediction is always class ``klass``."""
    import torch
    from torch import nn
    torch.manual_seed(hidden)
    net = nn.Sequential(nn.Linear(N_IN, hidden), nn.ReLU(), nn.Linear(hidden, N_OUT))
    with torch.no_grad():
        net[2].weight.mul_(0.001)
        net[2].bias.zero_()
        net[2].bias[klass] = 50.0
    torch.jit.script(net.eval()).save(str(path))
    return sum(p.numel() * p.element_size() for p in net.parameters())


def make_model_dir(root, models):
    """models: list of (name, units, pinned). Each model's parameters fit its declared
    memoryBytes (units * UNIT) and it always predicts class index i % 4."""
    entries = []
    for i, (name, units, pinned) in enumerate(models):
        hidden = int(units * UNIT / 4 / (N_IN + 1 + N_OUT)) - 20
        os.makedirs(root / name, exist_ok=True)
        params = make_mlp(root / name / "model.pt", hidden, i % N_OUT)
        assert params <= units * UNIT
        entries.append({"name": name, "framework": "pytorch", "path": f"{name}/model.pt", "task": "test",
                        "labels": ["c0", "c1", "c2", "c3"],
                        "input": {"kind": "tabular", "shape": [N_IN], "dtype": "float32", "range": [-1e3, 1e3],
                                  "maxBatch": 8},
                        "memoryBytes": units * UNIT, "pinned": pinned})
    (root / "models.json").write_text(json.dumps({"models": entries}))
    return str(root)


def router_for(root, models, budget_units, **env):
    environ = {"MODEL_CACHE_BYTES": str(budget_units * UNIT), "MODEL_LOAD_RETRY_SECONDS": "0"}
    environ.update({k: str(v) for k, v in env.items()})
    return Router.from_dir(make_model_dir(root, models), environ=environ)


def ask(router, name):
    out = invoke(router, {"model": name, "inputs": [[0.5] * N_IN]})
    return out["predictions"][0]["label"]


