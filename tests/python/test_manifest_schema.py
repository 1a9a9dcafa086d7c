"""model-src/code/manifest_schema.py: the handler's standard-library interpreter of models.schema.json.
(The corpus both checkers must agree on runs in tests/integration/packaging/manifestSchema.spec.ts.)"""
import json
import os

import pytest

import manifest_schema
from conftest import MODEL_SRC


def test_the_shipped_manifest_passes_its_schema():
    with open(os.path.join(MODEL_SRC, "models.json"), encoding="utf-8") as f:
        doc, errors = manifest_schema.check_text(f.read())
    assert errors == [] and doc["models"][0]["name"] == "fashion"


def test_an_integer_written_as_a_float_is_refused_naming_the_field():
    text = open(os.path.join(MODEL_SRC, "models.json"), encoding="utf-8").read().replace("32833536", "32833536.0")
    doc, errors = manifest_schema.check_text(text)
    assert doc is None
    assert errors == ["models[0].memoryBytes must be a positive integer number of bytes (written without a fraction or exponent, "
                      "at most 2^53 - 1) (got 32833536.0)"]


def test_a_misspelt_key_gets_a_did_you_mean():
    doc = json.load(open(os.path.join(MODEL_SRC, "models.json"), encoding="utf-8"))
    doc["models"][1]["pined"] = True
    _, errors = manifest_schema.check_text(json.dumps(doc))
    assert errors == ["models[1].pined is not a known field; did you mean 'pinned'? (known: name, framework, path, task, labels, "
                      "input, memoryBytes, pinned, accelerators, cpuCores); fix or remove it"]


def test_a_schema_keyword_the_interpreter_does_not_know_is_refused_not_ignored(tmp_path):
    schema = json.load(open(manifest_schema.SCHEMA_FILE, encoding="utf-8"))
    schema["properties"]["models"]["contains"] = {"type": "object"}
    path = tmp_path / "models.schema.json"
    path.write_text(json.dumps(schema))
    with pytest.raises(ValueError, match="contains"):
        manifest_schema.load_schema(str(path))
