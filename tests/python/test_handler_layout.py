"""The shape of model-src/code: inference.py holds the entry points the toolkit calls, the rest is the
mme/ package beside it; every module imports only the standard library, numpy and the archive's own
modules, imports no framework until a model of that framework loads, and stays small."""
import ast
import os
import subprocess
import sys

from conftest import CODE_DIR

OWN = {"inference", "stages", "manifest_schema", "mme"}
# The serving toolkit's error base class, imported only inside the container (try/except ImportError).
TOOLKIT = {"sagemaker_inference"}
FRAMEWORKS = ("torch", "sklearn", "joblib", "tensorflow")


def modules():
    """(path relative to code/, module name) of every Python file in code/."""
    out = []
    for base, dirs, files in os.walk(CODE_DIR):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for f in sorted(files):
            if f.endswith(".py"):
                rel = os.path.relpath(os.path.join(base, f), CODE_DIR)
                name = rel[:-3].replace(os.sep, ".").removesuffix(".__init__")
                out.append((rel, name))
    return out


def tree(rel):
    with open(os.path.join(CODE_DIR, rel), encoding="utf-8") as f:
        return ast.parse(f.read(), rel)


def test_inference_py_defines_only_the_entry_points_on_top_and_what_they_need():
    defs = [n.name for n in tree("inference.py").body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert defs[:2] == ["model_fn", "transform_fn"]
    assert [d for d in defs if not d.startswith("_")] == ["model_fn", "transform_fn", "ready"]


def test_every_module_imports_only_the_standard_library_numpy_and_the_archives_own_modules():
    allowed = set(sys.stdlib_module_names) | OWN | TOOLKIT | {"numpy"}
    found = {}
    for rel, _ in modules():
        for node in ast.walk(tree(rel)):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 else [])
            for name in names:
                if name.split(".")[0] not in allowed:
                    found.setdefault(rel, []).append(name)
    assert found == {}
    assert len(modules()) >= 10  # the walk found the package, not just inference.py


def test_importing_every_module_imports_no_framework():
    names = [name for _, name in modules()]
    script = ("import sys; sys.path.insert(0, sys.argv[1])\n"
              f"import importlib; [importlib.import_module(m) for m in {names!r}]\n"
              f"print(sorted(m for m in {FRAMEWORKS!r} if m in sys.modules))\n")
    res = subprocess.run([sys.executable, "-c", script, CODE_DIR], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["[]"]
    assert "mme.frameworks.pytorch" in names and "mme.frameworks.tensorflow" in names


def test_every_file_is_under_300_lines_and_every_function_under_80():
    long_files, long_functions = [], []
    for rel, _ in modules():
        with open(os.path.join(CODE_DIR, rel), encoding="utf-8") as f:
            if sum(1 for _ in f) >= 300:
                long_files.append(rel)
        for node in ast.walk(tree(rel)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 >= 80:
                long_functions.append(f"{rel}:{node.name}")
    assert (long_files, long_functions) == ([], [])
