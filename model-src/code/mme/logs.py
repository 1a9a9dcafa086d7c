"""The handler's one logger, named "inference" in every module (its lines, e.g. "answered 4xx", are
what operators and the conformance check read), and how sizes are written in log lines and messages."""
import logging

LOG = logging.getLogger("inference")


def ensure_log_handler():
    """Log to stderr when nothing else (the toolkit, a test) has set up logging."""
    if not logging.getLogger().handlers and not LOG.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)


def mb(n):
    return f"{n / 2**20:.1f} MiB"
