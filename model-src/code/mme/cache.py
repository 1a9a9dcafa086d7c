"""The model cache: LRU, memory-bounded, thread-safe. Models load on first use (or at start when
pinned) into a budget of bytes, each counting its manifest ``memoryBytes``."""
import gc
import importlib
import threading
import time
import weakref
from contextlib import contextmanager

from mme.errors import bad
from mme.logs import LOG, mb


class _Entry:
    __slots__ = ("spec", "state", "model", "refs", "last_used", "error", "failed_at", "attempt")

    def __init__(self, spec):
        self.spec, self.state, self.model, self.refs = spec, "absent", None, 0
        self.last_used, self.error, self.failed_at, self.attempt = 0, None, 0.0, 0


class ModelCache:
    """Loads models on first use into a budget of ``budget_bytes`` (each model counts its
    manifest ``memoryBytes``), evicting least-recently-used unpinned models that no request
    is using. Every load is counted in ``stats``; ``peak_bytes`` tracks the highest resident
    + loading total, which never exceeds the budget."""

    def __init__(self, specs, budget_bytes, loader, retry_seconds, wait_seconds, clock=time.monotonic):
        self.budget = int(budget_bytes)
        self.loader, self.retry_seconds, self.wait_seconds, self.clock = loader, retry_seconds, wait_seconds, clock
        self._entries = {name: _Entry(spec) for name, spec in specs.items()}
        self._cond = threading.Condition()
        self._tick = 0
        self.used_bytes = 0
        self.stats = {"hits": 0, "misses": 0, "loads": {}, "evictions": {}, "load_seconds": 0.0,
                      "failures": {}, "peak_bytes": 0}
        pinned = [s for s in specs.values() if s.pinned]
        pinned_bytes = sum(s.memory_bytes for s in pinned)
        self.pinned_bytes = pinned_bytes
        if pinned_bytes > self.budget:
            raise ValueError(f"pinned models need {mb(pinned_bytes)} ("
                             + ", ".join(f"{s.name} {mb(s.memory_bytes)}" for s in pinned)
                             + f") but the model cache budget is {mb(self.budget)}; raise MODEL_CACHE_BYTES "
                               "or MODEL_CACHE_FRACTION, or unpin models in models.json")

    # -- public -------------------------------------------------------------------------
    def load_pinned(self):
        for e in self._entries.values():
            if e.spec.pinned:
                with self.use(e.spec.name):
                    pass

    def ready(self):
        with self._cond:
            return all(e.state == "loaded" for e in self._entries.values() if e.spec.pinned)

    def resident(self):
        """Names of loaded models, least recently used first."""
        with self._cond:
            loaded = [e for e in self._entries.values() if e.state == "loaded"]
            return [e.spec.name for e in sorted(loaded, key=lambda e: e.last_used)]

    @contextmanager
    def use(self, name):
        """Yield the loaded model; it cannot be evicted until the block ends."""
        entry = self._acquire(name)
        try:
            yield entry.model
        finally:
            with self._cond:
                entry.refs -= 1
                self._cond.notify_all()

    # -- internals ----------------------------------------------------------------------
    def _acquire(self, name):
        """The entry, loaded and referenced once more: a hit, or a miss that makes room and loads it."""
        entry = self._entries[name]
        freed = self._claim(entry)
        if freed is None:
            return entry
        if freed:
            _free_memory(freed)
        return self._load(entry)

    def _claim(self, entry):
        """Under the lock: None when the model is loaded (now referenced by the caller); else mark it
        loading, count its bytes and return the evicted models to free. Waits or raises as needed."""
        spec = entry.spec
        deadline = self.clock() + self.wait_seconds
        waited_on = None
        with self._cond:
            counted = False
            while True:
                if entry.state == "loaded":
                    entry.refs += 1
                    self._touch(entry)
                    if not counted:
                        self.stats["hits"] += 1
                    return None
                if entry.state == "loading":
                    waited_on = entry.attempt
                    self._wait(deadline, spec, loading=True)
                    continue
                if not counted:
                    self.stats["misses"] += 1
                    counted = True
                if entry.state == "failed" and (waited_on == entry.attempt or
                                                self.clock() - entry.failed_at < self.retry_seconds):
                    raise self._load_error(entry)
                self._check_fits(spec)
                freed = self._make_room(spec)
                if freed is None:  # in-use models must finish first
                    self._wait(deadline, spec, loading=False)
                    continue
                entry.state, entry.attempt = "loading", entry.attempt + 1
                self.used_bytes += spec.memory_bytes
                self.stats["peak_bytes"] = max(self.stats["peak_bytes"], self.used_bytes)
                return freed

    def _load(self, entry):
        """Run the loader for a claimed entry; record the model (one reference) or the failure."""
        spec, name = entry.spec, entry.spec.name
        start = time.perf_counter()
        try:
            model = self.loader(spec)
        except BaseException as e:  # recorded (never stuck "loading"), answered as 500, retried later
            with self._cond:
                entry.state, entry.failed_at = "failed", self.clock()
                entry.error = f"{type(e).__name__}: {str(e)[:900]} (file {spec.rel_path})"
                self.used_bytes -= spec.memory_bytes
                self.stats["failures"][name] = self.stats["failures"].get(name, 0) + 1
                self._cond.notify_all()
            LOG.error("model '%s' failed to load (%s); requests get 500 and it is retried after %g s",
                      name, entry.error, self.retry_seconds)
            if not isinstance(e, Exception):  # KeyboardInterrupt, SystemExit: not ours to answer
                raise
            raise self._load_error(entry) from e
        seconds = time.perf_counter() - start
        with self._cond:
            entry.model, entry.state, entry.refs, entry.error = model, "loaded", 1, None
            self._touch(entry)
            self.stats["loads"][name] = self.stats["loads"].get(name, 0) + 1
            self.stats["load_seconds"] += seconds
            self._cond.notify_all()
            used = self.used_bytes
        measured = getattr(model, "nbytes", None)
        LOG.info("loaded model '%s' (%s, %s declared%s) on %s in %.3f s; resident %s of %s",
                 name, spec.framework, mb(spec.memory_bytes),
                 f", {mb(measured)} parameters" if measured else "", getattr(model, "device", "cpu"),
                 seconds, mb(used), mb(self.budget))
        if measured and measured > spec.memory_bytes:
            LOG.warning("model '%s' holds %s of parameters, more than its memoryBytes %s in models.json; "
                        "run `npm run measure-models`", name, mb(measured), mb(spec.memory_bytes))
        return entry

    def _touch(self, entry):
        self._tick += 1
        entry.last_used = self._tick

    def _wait(self, deadline, spec, loading):
        remaining = deadline - self.clock()
        if remaining <= 0:
            why = ("is still loading in another request" if loading else
                   f"could not get room: the cache budget {mb(self.budget)} is held by models in use")
            raise bad("cache_busy", f"model '{spec.name}' ({mb(spec.memory_bytes)}) {why} after "
                                    f"{self.wait_seconds:g} s (MODEL_CACHE_WAIT_SECONDS); retry the request", 503)
        self._cond.wait(remaining)

    def _check_fits(self, spec):
        room = self.budget - (0 if spec.pinned else self.pinned_bytes)
        if spec.memory_bytes > room:
            pinned = f" of which pinned models keep {mb(self.pinned_bytes)}" if not spec.pinned and self.pinned_bytes else ""
            raise bad("model_too_large", f"model '{spec.name}' needs {mb(spec.memory_bytes)} (memoryBytes in "
                                         f"models.json) but the model cache holds {mb(self.budget)}{pinned}; raise "
                                         "MODEL_CACHE_BYTES or MODEL_CACHE_FRACTION, or use a larger instance", 507)

    def _make_room(self, spec):
        """Evict LRU idle unpinned models until ``spec`` fits. Returns weak references to the
        evicted models, or None (evicting nothing) when it cannot fit yet because models are
        in use or loading."""
        excess = self.used_bytes + spec.memory_bytes - self.budget
        if excess <= 0:
            return []
        idle = sorted((e for e in self._entries.values() if e.state == "loaded" and e.refs == 0 and not e.spec.pinned),
                      key=lambda e: e.last_used)
        victims = []
        for e in idle:
            if excess <= 0:
                break
            victims.append(e)
            excess -= e.spec.memory_bytes
        if excess > 0:
            return None
        gone = []
        for victim in victims:
            gone.append((victim.spec.name, _weak(victim.model)))
            victim.model, victim.state = None, "absent"
            self.used_bytes -= victim.spec.memory_bytes
            self.stats["evictions"][victim.spec.name] = self.stats["evictions"].get(victim.spec.name, 0) + 1
            LOG.info("evicted model '%s' (%s, least recently used) to make room for '%s' (%s); resident %s of %s",
                     victim.spec.name, mb(victim.spec.memory_bytes), spec.name, mb(spec.memory_bytes),
                     mb(self.used_bytes), mb(self.budget))
        return gone

    def _load_error(self, entry):
        return bad("model_load_failed", f"model '{entry.spec.name}' could not be loaded: {entry.error}; "
                                        f"it is retried on a request after {self.retry_seconds:g} s", 500)


def _weak(obj):
    try:
        return weakref.ref(obj)
    except TypeError:  # not weak-referenceable: assume it may need a collection
        return lambda: obj


def _free_memory(gone):
    """Really release evicted models: models still alive after their last reference was
    dropped sit in reference cycles, so collect those (a full collection can take a few
    hundred ms in a big process, hence only then); then return cached CUDA blocks."""
    if any(ref() is not None for _, ref in gone):
        gc.collect()
        for name, ref in gone:
            if ref() is not None:
                LOG.warning("evicted model '%s' is still referenced after garbage collection; "
                            "its memory is not freed", name)
    torch = importlib.sys.modules.get("torch")
    if torch is not None and torch.cuda.is_available():
        torch.cuda.empty_cache()

