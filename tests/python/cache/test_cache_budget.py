"""The model cache's budget (model-src/code/mme/budget.py: MODEL_CACHE_BYTES, MODEL_CACHE_FRACTION, workers sharing
a GPU, with a monkeypatched stand-in for CUDA), scripts/measure_models.py and the cache benchmark."""
import json
import os

import pytest

from mme.budget import cache_budget, device_total_memory
from mme.router import Router
from cache_models import make_model_dir

def spec_list(*frameworks):
    return {f"m{i}": type("S", (), {"framework": fw})() for i, fw in enumerate(frameworks)}


def test_the_budget_comes_from_model_cache_bytes_first():
    assert cache_budget({"MODEL_CACHE_BYTES": "12345", "MODEL_CACHE_FRACTION": "0.9"},
                        spec_list("pytorch")) == (12345, "MODEL_CACHE_BYTES")


def test_the_budget_is_a_fraction_of_the_device_memory_defaulting_to_half_per_worker():
    total, device = device_total_memory(True)
    assert device == "CPU" and total > 0  # no CUDA on this machine
    budget, why = cache_budget({"MODEL_CACHE_FRACTION": "0.25"}, spec_list("pytorch"))
    assert budget == int(total * 0.25) and why.startswith("MODEL_CACHE_FRACTION=0.25 of")
    budget, why = cache_budget({"SAGEMAKER_MODEL_SERVER_WORKERS": "2"}, spec_list("sklearn"))
    assert budget == int(total * 0.25) and why.startswith("default fraction 0.5 / 2 worker(s) of")


GIB = 2**30


@pytest.fixture
def four_t4s(monkeypatch):
    """A CUDA machine with `fake.count` GPUs of 16 GiB each (there is no GPU here: torch.cuda is monkeypatched)."""
    torch = pytest.importorskip("torch")
    fake = type("Fake", (), {"count": 4, "asked": []})()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: fake.count)
    monkeypatch.setattr(torch.cuda, "mem_get_info", lambda dev: (fake.asked.append(str(dev)) or (GIB, 16 * GIB)))
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda dev: "Tesla T4")
    return fake


@pytest.mark.parametrize("gpus,workers,sharing", [(4, 1, 1), (4, 3, 1), (4, 4, 1), (4, 5, 2), (4, 8, 2), (4, 9, 3), (1, 1, 1), (1, 2, 2)])
def test_the_default_budget_on_cuda_divides_by_the_workers_sharing_one_gpu(four_t4s, gpus, workers, sharing):
    four_t4s.count = gpus
    budget, why = cache_budget({"SAGEMAKER_MODEL_SERVER_WORKERS": str(workers)}, spec_list("pytorch"), gpu_id=gpus - 1)
    assert budget == int(16 * GIB * 0.5 / sharing)
    assert why == (f"default fraction 0.5 / {sharing} worker(s) sharing the GPU ({workers} worker(s) over {gpus} GPU(s)) "
                   f"of 16384.0 MiB CUDA cuda:{gpus - 1} (Tesla T4) memory")
    assert four_t4s.asked == [f"cuda:{gpus - 1}"]


def test_a_fraction_or_bytes_on_cuda_is_per_worker_and_not_divided(four_t4s):
    env = {"SAGEMAKER_MODEL_SERVER_WORKERS": "8", "MODEL_CACHE_FRACTION": "0.3"}
    assert cache_budget(env, spec_list("pytorch"))[0] == int(16 * GIB * 0.3)
    assert cache_budget({**env, "MODEL_CACHE_BYTES": "777"}, spec_list("pytorch")) == (777, "MODEL_CACHE_BYTES")


def test_the_default_budget_in_host_ram_divides_by_all_workers_even_with_gpus(four_t4s):
    # Only sklearn models: the budget is the RAM's, which every worker shares, whatever the GPU count.
    total, device = device_total_memory(False)
    budget, why = cache_budget({"SAGEMAKER_MODEL_SERVER_WORKERS": "8"}, spec_list("sklearn"))
    assert device == "CPU" and budget == int(total * 0.5 / 8)
    assert why.startswith("default fraction 0.5 / 8 worker(s) of") and four_t4s.asked == []


@pytest.mark.parametrize("env,message", [
    ({"MODEL_CACHE_BYTES": "lots"}, "MODEL_CACHE_BYTES='lots': expected a positive integer number of bytes"),
    ({"MODEL_CACHE_BYTES": "-5"}, "MODEL_CACHE_BYTES='-5': expected a positive integer number of bytes"),
    ({"MODEL_CACHE_FRACTION": "1.5"}, "MODEL_CACHE_FRACTION='1.5': expected a number in (0, 1]"),
    ({"MODEL_CACHE_FRACTION": "half"}, "MODEL_CACHE_FRACTION='half': expected a number"),
])
def test_an_invalid_cache_setting_is_refused_naming_the_variable(env, message):
    with pytest.raises(ValueError) as info:
        cache_budget(env, spec_list("sklearn"))
    assert str(info.value) == message


def test_measure_models_writes_each_models_measured_footprint_into_the_manifest(tmp_path, capsys):
    import measure_models
    root = make_model_dir(tmp_path, [("a", 1, False), ("b", 3, True)])
    assert measure_models.main(["--model-dir", root]) == 0
    written = {m["name"]: m for m in json.load(open(os.path.join(root, "models.json")))["models"]}
    out = capsys.readouterr().out
    for name in ("a", "b"):
        with Router.from_dir(root, environ={"MODEL_CACHE_BYTES": str(10**9)}).cache.use(name) as model:
            params = model.nbytes
        assert written[name]["memoryBytes"] >= params and written[name]["memoryBytes"] % (64 * 1024) == 0
        assert f"-> memoryBytes {written[name]['memoryBytes']}" in out
    assert written["b"]["pinned"] is True and written["a"]["labels"] == ["c0", "c1", "c2", "c3"]


def test_the_cache_benchmark_reports_hit_rate_load_time_and_latency_with_and_without_eviction(capsys):
    import bench_cache
    assert bench_cache.main(["--models", "3", "--mb-per-step", "0.2", "--requests", "30"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("device: CPU") or lines[0].startswith("device: CUDA")
    assert "hit rate" in lines[2] and "load/miss" in lines[2]
    no_evict, evict = lines[3].split(), lines[4].split()
    assert no_evict[:3] == ["all", "fit", "(no"] and no_evict[6] == "90.0%" and no_evict[8] == "0"
    assert evict[:3] == ["0.4", "of", "total"] and int(evict[7]) > 0 and float(evict[5].rstrip("%")) < 90
