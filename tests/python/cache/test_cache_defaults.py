"""The router's cache defaults are read from model-src/code/mme/cache_defaults.json, the file the
deploy side's config/schema.ts reads too, so the two cannot disagree; budget.py and cache.py write no
default of their own."""
import json
import os
import re

from conftest import CODE_DIR
from mme import budget

DEFAULTS_FILE = os.path.join(CODE_DIR, "mme", "cache_defaults.json")


def read(rel):
    with open(os.path.join(CODE_DIR, rel), encoding="utf-8") as f:
        return f.read()


def test_the_defaults_file_holds_the_fraction_retry_and_wait():
    with open(DEFAULTS_FILE, encoding="utf-8") as f:
        defaults = json.load(f)
    assert sorted(defaults) == ["MODEL_CACHE_FRACTION", "MODEL_CACHE_WAIT_SECONDS", "MODEL_LOAD_RETRY_SECONDS"]
    assert 0 < defaults["MODEL_CACHE_FRACTION"] <= 1


def test_budget_uses_the_files_values_when_no_variable_is_set():
    with open(DEFAULTS_FILE, encoding="utf-8") as f:
        defaults = json.load(f)
    assert budget.DEFAULT_FRACTION == defaults["MODEL_CACHE_FRACTION"]
    assert budget.cache_timings({}) == (defaults["MODEL_LOAD_RETRY_SECONDS"], defaults["MODEL_CACHE_WAIT_SECONDS"])
    assert budget.cache_timings({"MODEL_LOAD_RETRY_SECONDS": "7", "MODEL_CACHE_WAIT_SECONDS": "9"}) == (7.0, 9.0)


def test_no_module_writes_a_cache_default_of_its_own():
    assert not re.search(r"DEFAULT_FRACTION\s*=\s*[\d.]", read("mme/budget.py"))
    assert not re.search(r"_env_float\(environ, \"MODEL_(LOAD_RETRY|CACHE_WAIT)_SECONDS\", [\d.]", read("mme/budget.py"))
    assert not re.search(r"(retry|wait)_seconds=[\d.]", read("mme/cache.py"))
