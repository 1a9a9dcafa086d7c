"""models.json checked against models.schema.json (beside this file), standard library only.

The deploy side checks the same file with ajv (packaging/manifest.ts); tests run one corpus
of manifests through both and require the same verdict. This is a small interpreter of exactly
the JSON Schema keywords that schema uses; a schema using any other keyword is refused rather
than half-checked.
"""
import json
import os
import re

SCHEMA_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models.schema.json")

# Keywords interpreted below; annotations ($schema, title, description) change no verdict.
KEYWORDS = {"$schema", "title", "description", "type", "required", "additionalProperties", "properties", "items",
            "minItems", "maxItems", "minLength", "pattern", "enum", "minimum", "exclusiveMinimum", "maximum",
            "uniqueItems"}

TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def load_schema(path=SCHEMA_FILE):
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    _check_keywords(schema, "#")
    return schema


def _check_keywords(schema, at):
    unknown = set(schema) - KEYWORDS
    if unknown:
        raise ValueError(f"{SCHEMA_FILE}: {at} uses {', '.join(sorted(unknown))}, which manifest_schema.py does not interpret")
    for key, sub in schema.get("properties", {}).items():
        _check_keywords(sub, f"{at}/properties/{key}")
    if "items" in schema:
        _check_keywords(schema["items"], f"{at}/items")


def _where(path):
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "the manifest"


def _pattern_matches(pattern, text):
    # ECMA-262 `$` does not match before a trailing newline; Python's does, so require the real end.
    m = re.search(pattern, text)
    return m is not None and (not pattern.endswith("$") or m.end() == len(text))


def _unique(values):
    seen = [json.dumps(v, sort_keys=True) for v in values]
    return len(set(seen)) == len(seen)


def validate(value, schema, path=()):
    """Yields (path, message) for each way `value` breaks `schema`."""
    desc = schema.get("description", "valid")
    kind = schema.get("type")
    if kind is not None and not TYPES[kind](value):
        yield path, f"must be {desc} (got {json.dumps(value)})"
        return
    if "enum" in schema and not any(type(value) is type(e) and value == e for e in schema["enum"]):
        yield path, f"must be {desc} (got {json.dumps(value)})"
    bad = False
    if isinstance(value, str):
        bad |= len(value) < schema.get("minLength", 0)
        bad |= "pattern" in schema and not _pattern_matches(schema["pattern"], value)
    if TYPES["number"](value):
        bad |= "minimum" in schema and value < schema["minimum"]
        bad |= "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]
        bad |= "maximum" in schema and value > schema["maximum"]
    if isinstance(value, list):
        bad |= len(value) < schema.get("minItems", 0) or len(value) > schema.get("maxItems", len(value))
        bad |= bool(schema.get("uniqueItems")) and not _unique(value)
        item = schema.get("items")
        if item is not None:
            for i, v in enumerate(value):
                for p, msg in validate(v, item, path + (i,)):
                    if item.get("type") not in ("object", None):
                        bad = True  # an element of an array of plain values is reported as the array
                    else:
                        yield p, msg
    if bad:
        yield path, f"must be {desc} (got {json.dumps(value)})"
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for key in schema.get("required", []):
            if key not in value:
                yield path + (key,), "is required; add it"
        if schema.get("additionalProperties") is False:
            for key in value:
                if key not in props:
                    hint = _closest(key, props)
                    yield path + (key,), (f"is not a known field{f'; did you mean {hint!r}?' if hint else ''} "
                                          f"(known: {', '.join(props)}); fix or remove it")
        for key, sub in props.items():
            if key in value:
                yield from validate(value[key], sub, path + (key,))


def _distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _closest(word, candidates, max_distance=3):
    scored = sorted((_distance(word.lower(), c.lower()), c) for c in candidates)
    return scored[0][1] if scored and scored[0][0] <= max_distance else None


def _semantic(doc):
    """What the schema cannot say: unique model names, range min <= max."""
    models = doc.get("models") if isinstance(doc, dict) else None
    if not isinstance(models, list):
        return
    first = {}
    for i, m in enumerate(models):
        if not isinstance(m, dict):
            continue
        name = m.get("name")
        if isinstance(name, str):
            if name in first:
                yield ("models", i, "name"), f"{name!r} repeats models[{first[name]}].name; names must be unique"
            first.setdefault(name, i)
        r = m.get("input", {}).get("range") if isinstance(m.get("input"), dict) else None
        if isinstance(r, list) and len(r) == 2 and all(TYPES["number"](x) for x in r) and r[0] > r[1]:
            yield ("models", i, "input", "range"), f"must be [min, max] with min <= max (got {json.dumps(r)})"


def _reject_constant(name):
    raise ValueError(f"{name} is not valid JSON")


def check_text(text, schema=None):
    """(manifest or None, [error lines]) for models.json text; NaN/Infinity literals are invalid JSON, as in JavaScript."""
    schema = schema if schema is not None else load_schema()
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except ValueError as e:
        return None, [f"not valid JSON ({e}); fix the syntax"]
    errors = [f"{_where(p)} {msg}" for p, msg in validate(doc, schema)]
    errors += [f"{_where(p)} {msg}" for p, msg in _semantic(doc)]
    return (None, errors) if errors else (doc, [])
