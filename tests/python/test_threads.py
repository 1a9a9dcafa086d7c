"""The handler sizes torch's thread pools from OMP_NUM_THREADS only once torch is loaded for a model
(mme/frameworks/threads.py, called by the PyTorch loader), and never imports torch before that."""
import json
import os
import subprocess
import sys

from conftest import CODE_DIR, MODEL_SRC

SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import inference
before = "torch" in sys.modules
models = inference.model_fn(sys.argv[2])
import torch
print(json.dumps({"torch_before_model_fn": before, "threads": torch.get_num_threads(),
                  "interop": torch.get_num_interop_threads()}))
"""


def run(env_threads):
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    if env_threads is not None:
        env["OMP_NUM_THREADS"] = env_threads
    res = subprocess.run([sys.executable, "-c", SCRIPT, CODE_DIR, MODEL_SRC], capture_output=True, text=True,
                         timeout=120, env=env)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_torch_gets_omp_num_threads_for_both_pools_once_the_pinned_pytorch_model_loads():
    out = run("3")
    assert out == {"torch_before_model_fn": False, "threads": 3, "interop": 3}


def test_without_omp_num_threads_torch_keeps_its_own_inter_op_default():
    out = run(None)
    assert out["torch_before_model_fn"] is False
    # torch's default inter-op pool is one thread per core; the handler leaves it when nothing is set
    assert out["interop"] == run_default_interop()


def run_default_interop():
    res = subprocess.run([sys.executable, "-c", "import torch; print(torch.get_num_interop_threads())"],
                         capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"})
    return int(res.stdout.strip())


def test_the_thread_count_is_read_as_a_whole_number_of_at_least_one():
    from mme.frameworks.threads import thread_count
    assert [thread_count({"OMP_NUM_THREADS": v}) for v in ("2", " 4 ", "0", "-1", "1.5", "x", "")] == [2, 4, None, None, None, None, None]
    assert thread_count({}) is None


def test_apply_sets_the_pools_once_per_process_and_only_with_a_count(monkeypatch):
    from mme.frameworks import threads

    class FakeTorch:
        def __init__(self):
            self.calls = []

        def set_num_threads(self, n):
            self.calls.append(("intra", n))

        def set_num_interop_threads(self, n):
            self.calls.append(("inter", n))
            raise RuntimeError("Error: cannot set number of interop threads after parallel work has started")

    monkeypatch.setattr(threads, "_done", False)
    fake = FakeTorch()
    threads.apply_torch_threads(fake, {"OMP_NUM_THREADS": "2"})
    threads.apply_torch_threads(fake, {"OMP_NUM_THREADS": "5"})
    assert fake.calls == [("intra", 2), ("inter", 2)]  # the RuntimeError of a late inter-op call is absorbed
    monkeypatch.setattr(threads, "_done", False)
    unset = FakeTorch()
    threads.apply_torch_threads(unset, {})
    assert unset.calls == []
