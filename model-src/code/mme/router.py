"""What model_fn returns: the manifest plus the model cache, and the route of one request (model
name -> checked inputs -> the cached model's scores -> the response document)."""
import os

from mme.budget import cache_budget, cache_timings
from mme.cache import ModelCache
from mme.errors import InferenceError, bad
from mme.frameworks import check_model_file, load_model
from mme.inputs import validate_inputs
from mme.logs import LOG, mb
from mme.manifest import read_manifest
from mme.response import format_predictions


class Router:
    """What model_fn returns: the manifest plus the model cache."""

    def __init__(self, specs, cache):
        self.specs = specs
        self.cache = cache

    @classmethod
    def from_dir(cls, model_dir, environ=None, loader=None, gpu_id=None):
        environ = os.environ if environ is None else environ
        specs = read_manifest(model_dir)
        budget, source = cache_budget(environ, specs, gpu_id)
        LOG.info("models: %s; cache budget %s (%s)", ", ".join(
            f"{s.name} ({s.framework}, {mb(s.memory_bytes)}{', pinned' if s.pinned else ''})" for s in specs.values()),
            mb(budget), source)
        retry_seconds, wait_seconds = cache_timings(environ)
        cache = ModelCache(specs, budget, loader=loader or (lambda spec: load_model(spec, gpu_id)),
                           retry_seconds=retry_seconds, wait_seconds=wait_seconds)
        if loader is None:  # real loaders: a broken UNPINNED model file fails the start, not its first request
            broken = [p for p in (check_model_file(s) for s in specs.values() if not s.pinned) if p]
            if broken:
                raise bad("model_load_failed", "; ".join(broken), 500)
        cache.load_pinned()
        return cls(specs, cache)

    def predict(self, request):
        spec = self.spec_for(request.model)
        if spec is None:
            raise bad("unknown_model", f"field 'model' is {request.model!r}, not a known model; "
                                       f"known models: {', '.join(sorted(self.specs))}", 404)
        batch = validate_inputs(spec, request.inputs)  # before any load: bad requests cost nothing
        with self.cache.use(spec.name) as model:
            try:
                probs = model.predict_proba(batch)
            except InferenceError:
                raise
            except Exception as e:  # noqa: BLE001 - reported to the client as a 500 naming the model
                LOG.exception("prediction of model '%s' failed", spec.name)
                raise bad("prediction_failed", f"model '{spec.name}' failed to predict: {type(e).__name__}: {e}", 500)
        return format_predictions(spec, probs)

    def spec_for(self, name):
        """The model a request names. With one model in the archive (an inference component) the request may leave
        ``model`` out, and a different name is a 400; with several, ``model`` is required and an unknown one is a 404."""
        if len(self.specs) == 1:
            (only,) = self.specs.values()
            if name is not None and name != only.name:
                raise bad("model_mismatch", f"field 'model' is {name!r} but this archive (inference component) serves only "
                                            f"{only.name!r}; send {only.name!r} or leave 'model' out")
            return only
        if name is None:
            raise bad("missing_field", "missing field 'model': this archive holds several models "
                                       f"({', '.join(sorted(self.specs))}); name one")
        return self.specs.get(name)

    def ready(self):
        return self.cache.ready()

