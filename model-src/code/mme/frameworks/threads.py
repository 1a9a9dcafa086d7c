"""CPU thread pools of a framework, sized once it is loaded (never importing it here).

The container environment sizes the pools of every library a worker loads (OMP_NUM_THREADS,
OPENBLAS_NUM_THREADS, MKL_NUM_THREADS; see docs/local-vs-container.md). PyTorch also keeps an
inter-op pool, sized by the number of cores unless told otherwise: ``apply_torch_threads`` gives both
of torch's pools OMP_NUM_THREADS threads, called right after torch is imported for a model."""
import os
import threading

_lock = threading.Lock()
_done = False


def thread_count(environ=None):
    """OMP_NUM_THREADS as a whole number >= 1, or None when unset or not such a number."""
    raw = (os.environ if environ is None else environ).get("OMP_NUM_THREADS", "").strip()
    return int(raw) if raw.isdigit() and int(raw) >= 1 else None


def apply_torch_threads(torch, environ=None):
    """Sets torch's intra-op and inter-op thread counts to OMP_NUM_THREADS, once per process.
    The inter-op count can only be set before torch's first parallel work; if that already ran,
    torch keeps its own and this says nothing (the intra-op count is what a model's forward uses)."""
    global _done
    with _lock:
        if _done:
            return
        _done = True
        n = thread_count(environ)
        if n is None:
            return
        torch.set_num_threads(n)
        try:
            torch.set_num_interop_threads(n)
        except RuntimeError:
            pass
