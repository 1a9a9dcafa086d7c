"""The memory-bounded LRU model cache of the handler (model-src/code/mme/cache.py), with real TorchScript models on CPU:
eviction order, freeing, pinned models, concurrent requests, load failures and waits."""
import logging
import threading
import time
import weakref

import pytest

from mme.frameworks import load_model
from mme.router import Router
from conftest import error_of
from cache_models import N_IN, UNIT, ask, make_mlp, make_model_dir, router_for

FIVE = [("p0", 1, True), ("m1", 2, False), ("m2", 3, False), ("m3", 4, False), ("m4", 4, False)]


def test_a_stream_over_five_models_needing_three_times_the_budget_all_succeed_within_the_budget(tmp_path):
    router = router_for(tmp_path, FIVE, budget_units=5)
    total = sum(units for _, units, _ in FIVE) * UNIT
    assert total >= 2.8 * router.cache.budget
    for step in range(15):
        i = step % 5
        assert ask(router, FIVE[i][0]) == f"c{i % 4}"  # the right model answered
        assert router.cache.used_bytes <= router.cache.budget
        assert "p0" in router.cache.resident()
    stats = router.cache.stats
    assert stats["peak_bytes"] <= router.cache.budget
    assert sum(stats["evictions"].values()) >= 8 and "p0" not in stats["evictions"]
    assert stats["loads"]["p0"] == 1


def test_eviction_takes_the_least_recently_used_model_first(tmp_path):
    models = [("a", 2, False), ("b", 2, False), ("c", 2, False), ("d", 2, False)]
    router = router_for(tmp_path, models, budget_units=6)  # room for three
    for name in ("a", "b", "c", "a"):
        ask(router, name)
    assert router.cache.resident() == ["b", "c", "a"]  # least recently used first
    ask(router, "d")
    assert router.cache.resident() == ["c", "a", "d"] and router.cache.stats["evictions"] == {"b": 1}
    ask(router, "b")
    assert router.cache.resident() == ["a", "d", "b"] and router.cache.stats["evictions"] == {"b": 1, "c": 1}


def test_an_evicted_model_is_really_freed(tmp_path):
    router = router_for(tmp_path, [("a", 2, False), ("b", 2, False)], budget_units=3)
    ask(router, "a")
    with router.cache.use("a") as model:
        handler, module = weakref.ref(model), weakref.ref(model.module)
    del model
    ask(router, "b")  # no gc.collect() here: the eviction itself must free the model
    assert router.cache.resident() == ["b"]
    assert handler() is None and module() is None


def test_an_evicted_model_caught_in_a_reference_cycle_is_collected_at_eviction(tmp_path):
    import gc

    def cyclic_loader(spec):
        model = load_model(spec)
        model.myself = model  # a cycle: reference counting alone never frees it
        return model
    root = make_model_dir(tmp_path, [("a", 2, False), ("b", 2, False)])
    router = Router.from_dir(root, environ={"MODEL_CACHE_BYTES": str(3 * UNIT)}, loader=cyclic_loader)
    gc.disable()  # only the cache's own collection may free it
    try:
        ask(router, "a")
        with router.cache.use("a") as model:
            handler = weakref.ref(model)
        del model
        ask(router, "b")
        assert router.cache.resident() == ["b"] and handler() is None
    finally:
        gc.enable()


def test_pinned_models_are_loaded_at_start_and_never_evicted(tmp_path):
    models = [("p0", 1, True), ("p1", 1, True), ("m1", 3, False), ("m2", 3, False)]
    router = router_for(tmp_path, models, budget_units=5)
    assert router.cache.resident() == ["p0", "p1"] and router.ready()
    for name in ("m1", "m2", "m1", "m2", "p0", "m1"):
        ask(router, name)
        assert {"p0", "p1"} <= set(router.cache.resident()) and router.ready()
    assert router.cache.stats["loads"] == {"p0": 1, "p1": 1, "m1": 3, "m2": 2}


def test_pinned_models_larger_than_the_budget_are_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match=r"pinned models need 0\.4 MiB \(a 0\.2 MiB, b 0\.2 MiB\) but the model "
                                         r"cache budget is 0\.3 MiB; raise MODEL_CACHE_BYTES"):
        router_for(tmp_path, [("a", 2, True), ("b", 2, True)], budget_units=3)


def run_threads(n, target):
    barrier, errors = threading.Barrier(n), []

    def body(k):
        try:
            barrier.wait()
            target(k)
        except Exception as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)
    threads = [threading.Thread(target=body, args=(k,)) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return errors


def slow_loader(delay=0.05):
    def load(spec):
        time.sleep(delay)  # widen the window in which concurrent first requests overlap
        return load_model(spec)
    return load


def test_sixteen_threads_asking_for_unloaded_models_together_load_each_model_once(tmp_path):
    models = [("a", 1, False), ("b", 2, False), ("c", 1, False)]
    root = make_model_dir(tmp_path, models)
    router = Router.from_dir(root, environ={"MODEL_CACHE_BYTES": str(10 * UNIT)}, loader=slow_loader())
    labels = {}
    errors = run_threads(16, lambda k: labels.setdefault(k, ask(router, "abc"[k % 3])))
    assert errors == []
    assert all(labels[k] == f"c{k % 3}" for k in range(16))
    assert router.cache.stats["loads"] == {"a": 1, "b": 1, "c": 1}


def test_sixteen_threads_cycling_over_five_models_under_a_small_budget_all_succeed(tmp_path):
    root = make_model_dir(tmp_path, FIVE)
    router = Router.from_dir(root, environ={"MODEL_CACHE_BYTES": str(5 * UNIT)},
                             loader=slow_loader(0.01))
    router.cache.wait_seconds = 60

    def work(k):
        for step in range(6):
            i = (k + step) % 5
            assert ask(router, FIVE[i][0]) == f"c{i % 4}"
    assert run_threads(16, work) == []
    stats, resident = router.cache.stats, set(router.cache.resident())
    assert stats["peak_bytes"] <= router.cache.budget
    for name, _, _ in FIVE:  # loaded once per residency: never twice at the same time
        assert stats["loads"][name] == stats["evictions"].get(name, 0) + (name in resident)
    assert "p0" not in stats["evictions"]


def test_a_model_in_use_is_not_evicted_under_a_running_request(tmp_path):
    router = router_for(tmp_path, [("a", 2, False), ("b", 2, False)], budget_units=3)
    holding, release, done = threading.Event(), threading.Event(), threading.Event()

    def hold_a():
        with router.cache.use("a"):
            holding.set()
            release.wait(10)

    def ask_b():
        ask(router, "b")
        done.set()
    t1, t2 = threading.Thread(target=hold_a), threading.Thread(target=ask_b)
    t1.start()
    holding.wait(10)
    t2.start()
    time.sleep(0.3)
    assert not done.is_set() and router.cache.resident() == ["a"]  # b waits, a stays
    release.set()
    t1.join(10)
    t2.join(10)
    assert done.is_set() and router.cache.resident() == ["b"]


def test_a_request_that_cannot_get_room_in_time_gets_503(tmp_path):
    router = router_for(tmp_path, [("a", 2, False), ("b", 2, False)], budget_units=3, MODEL_CACHE_WAIT_SECONDS=0.2)
    with router.cache.use("a"):
        err = error_of(router, {"model": "b", "inputs": [[0] * N_IN]})
    assert (err.status_code, err.body["error"]["code"]) == (503, "cache_busy")
    assert ("model 'b' (0.2 MiB) could not get room: the cache budget 0.3 MiB is held by models in use after 0.2 s "
            "(MODEL_CACHE_WAIT_SECONDS); retry the request") == err.body["error"]["message"]
    assert ask(router, "b") == "c1"  # and it works once 'a' is free


def test_a_model_that_fails_to_load_answers_500_naming_it_while_the_others_keep_serving(tmp_path):
    router = router_for(tmp_path, [("good", 1, False), ("bad", 1, False)], budget_units=3,
                        MODEL_LOAD_RETRY_SECONDS=0.3)
    good_file = tmp_path / "good" / "model.pt"
    bad_file = tmp_path / "bad" / "model.pt"
    bad_file.write_bytes(b"not a TorchScript archive")
    err = error_of(router, {"model": "bad", "inputs": [[0] * N_IN]})
    assert (err.status_code, err.body["error"]["code"]) == (500, "model_load_failed")
    msg = err.body["error"]["message"]
    assert msg.startswith("model 'bad' could not be loaded: RuntimeError:") and "retried on a request after 0.3 s" in msg
    assert ask(router, "good") == "c0"
    err = error_of(router, {"model": "bad", "inputs": [[0] * N_IN]})  # within the retry delay: no new attempt
    assert router.cache.stats["failures"] == {"bad": 1} and router.cache.used_bytes == UNIT
    make_mlp(bad_file, 100, 1)  # fixed on disk
    time.sleep(0.35)
    assert ask(router, "bad") == "c1"  # retried after the delay
    assert router.cache.stats["loads"] == {"good": 1, "bad": 1}
    assert good_file.exists()


def test_a_model_larger_than_the_budget_is_refused_without_loading_anything(tmp_path):
    router = router_for(tmp_path, [("p", 1, True), ("small", 1, False), ("huge", 4, False)], budget_units=4)
    ask(router, "small")
    before = (router.cache.resident(), router.cache.used_bytes)
    err = error_of(router, {"model": "huge", "inputs": [[0] * N_IN]})
    assert (err.status_code, err.body["error"]["code"]) == (507, "model_too_large")
    assert ("model 'huge' needs 0.4 MiB (memoryBytes in models.json) but the model cache holds 0.4 MiB of which "
            "pinned models keep 0.1 MiB; raise MODEL_CACHE_BYTES") in err.body["error"]["message"]
    assert (router.cache.resident(), router.cache.used_bytes) == before
    assert "huge" not in router.cache.stats["loads"]


def test_loads_and_evictions_are_logged_with_sizes(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="inference")
    router = router_for(tmp_path, [("a", 2, False), ("b", 2, False)], budget_units=3)
    ask(router, "a")
    ask(router, "b")
    text = caplog.text
    assert "cache budget 0.3 MiB (MODEL_CACHE_BYTES)" in text
    assert "loaded model 'a' (pytorch, 0.2 MiB declared, 0.2 MiB parameters) on cpu in" in text
    assert ("evicted model 'a' (0.2 MiB, least recently used) to make room for 'b' (0.2 MiB); "
            "resident 0.0 MiB of 0.3 MiB") in text



def test_idle_models_are_not_evicted_for_nothing_while_the_room_still_cannot_be_made(tmp_path):
    router = router_for(tmp_path, [("a", 1, False), ("b", 3, False), ("c", 3, False)], budget_units=5,
                        MODEL_CACHE_WAIT_SECONDS=0.3)
    ask(router, "a")
    with router.cache.use("b"):  # a (idle, 1) + b (in use, 3): evicting a alone cannot make room for c (3)
        err = error_of(router, {"model": "c", "inputs": [[0] * N_IN]})
        assert err.status_code == 503 and router.cache.resident() == ["a", "b"]
    assert ask(router, "c") == "c2"
    assert router.cache.resident() == ["c"] and router.cache.stats["evictions"] == {"a": 1, "b": 1}


def test_a_request_waiting_longer_than_the_wait_limit_for_another_requests_load_gets_503(tmp_path):
    root = make_model_dir(tmp_path, [("a", 1, False)])
    router = Router.from_dir(root, environ={"MODEL_CACHE_BYTES": str(2 * UNIT),
                                            "MODEL_CACHE_WAIT_SECONDS": "0.1"}, loader=slow_loader(0.6))
    first = threading.Thread(target=ask, args=(router, "a"))
    first.start()
    time.sleep(0.2)  # the first request is loading 'a'
    err = error_of(router, {"model": "a", "inputs": [[0] * N_IN]})
    first.join(10)
    assert (err.status_code, err.body["error"]["code"]) == (503, "cache_busy")
    assert err.body["error"]["message"].startswith("model 'a' (0.1 MiB) is still loading in another request after 0.1 s")
    assert router.cache.stats["loads"] == {"a": 1} and ask(router, "a") == "c0"
