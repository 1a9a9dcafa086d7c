"""models.json read into ModelSpecs, checked against models.schema.json with manifest_schema.py
(beside inference.py), the same schema the deploy side checks with ajv."""
import os

import manifest_schema


FRAMEWORKS = ("pytorch", "sklearn", "tensorflow")


class ModelSpec:
    def __init__(self, entry, model_dir):
        self.name = entry["name"]
        self.framework = entry["framework"]
        self.rel_path = entry["path"]
        self.path = os.path.join(model_dir, entry["path"])
        self.labels = list(entry["labels"])
        self.input = dict(entry.get("input", {}))
        self.memory_bytes = int(entry["memoryBytes"])
        self.pinned = bool(entry.get("pinned", False))


def read_manifest(model_dir):
    """Parse models.json into ModelSpecs; raises ValueError listing every problem. The manifest is checked
    against models.schema.json (beside this file) with manifest_schema.py, the same schema the deploy side
    checks with ajv, so a manifest `npm run package` accepts is one model_fn accepts and vice versa."""
    path = os.path.join(model_dir, "models.json")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        raise ValueError(f"{path}: cannot read the manifest {{\"models\": [...]}}: {e}") from e
    doc, problems = manifest_schema.check_text(text)
    if problems:
        raise ValueError("; ".join(f"{path}: {p}" for p in problems))
    return {entry["name"]: ModelSpec(entry, model_dir) for entry in doc["models"]}

