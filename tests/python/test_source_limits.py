"""Every Python function of the project's own source is at most 80 lines (measured with Python's own ast, from
its `def` line to its last line). Folders and file lengths for every language: tests/unit/repository/layout.spec.ts."""
import ast
import os

from conftest import REPO

MAX_FUNCTION_LINES = 80
# The same folders tests/support/layoutLimits.ts leaves out: installed packages, build output, caches, data.
SKIPPED_DIRS = {"node_modules", ".git", "bin", "__pycache__", ".pytest_cache", ".hypothesis"}
SKIPPED_PATHS = {"build", "tmp", ".local-endpoint", os.path.join("docs", "figures"), os.path.join("training", "data")}


def python_files(root):
    for here, dirs, files in os.walk(root):
        rel = os.path.relpath(here, root)
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS
                         and os.path.normpath(os.path.join(rel, d)) not in SKIPPED_PATHS)
        for name in sorted(files):
            if name.endswith(".py"):
                yield os.path.normpath(os.path.join(rel, name))


def long_functions(source, rel):
    tree = ast.parse(source, rel)
    return [f"{rel}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} lines)"
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES]


def test_the_checker_measures_a_function_from_its_def_to_its_last_line():
    short = "def f():\n" + "    x = 1\n" * (MAX_FUNCTION_LINES - 1)
    long = "def g():\n    def inner():\n" + "        x = 1\n" * MAX_FUNCTION_LINES
    assert long_functions(short, "a.py") == []
    assert long_functions(long, "b.py") == [f"b.py:1 g ({MAX_FUNCTION_LINES + 2} lines)",
                                            f"b.py:2 inner ({MAX_FUNCTION_LINES + 1} lines)"]


def test_the_walk_finds_the_projects_python_and_skips_data_and_caches():
    files = set(python_files(REPO))
    assert os.path.join("model-src", "code", "inference.py") in files
    assert os.path.join("tests", "python", "test_source_limits.py") in files
    assert not any(f.startswith(os.path.join("training", "data")) or "__pycache__" in f for f in files)


def test_every_python_function_is_at_most_80_lines():
    found = []
    for rel in python_files(REPO):
        with open(os.path.join(REPO, rel), encoding="utf-8") as f:
            found += long_functions(f.read(), rel)
    assert found == [], "extract well-named helpers from these functions"
