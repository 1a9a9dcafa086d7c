"""What the handler (code/inference.py) is built from, one concern a module:

errors       InferenceError: a request error as the toolkit answers it (status, JSON body)
request      the wire format: envelope parsing, Content-Type, Accept, serialising the response
inputs       a batch checked against its model's manifest entry (shape, dtype, range, batch size)
response     scores to probabilities and the response document
manifest     models.json read into ModelSpecs (checked by manifest_schema.py)
budget       the cache's memory budget and timings from the container environment
cache        the memory-bounded, thread-safe LRU model cache
router       what model_fn returns: the manifest plus the cache; one request's route
frameworks/  one loader/predictor per framework, each importing its framework only when it loads a model
logs         the handler's logger ("inference") and how sizes are written in messages

Standard library and numpy only; the container puts code/ on sys.path, so ``import mme`` works there.
"""
