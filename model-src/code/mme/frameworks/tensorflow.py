"""TensorFlow: a SavedModel's serving_default signature, with GPU memory allocated on demand."""
import os
import threading

import numpy as np

from mme.frameworks import require
from mme.logs import LOG
from mme.response import to_probabilities


_tf_growth_lock = threading.Lock()
_tf_growth_done = False


def enable_tf_memory_growth(tf):
    """Make TensorFlow allocate GPU memory on demand instead of reserving the whole GPU
    (it would starve PyTorch in the same process). Must run before TF touches a GPU."""
    global _tf_growth_done
    with _tf_growth_lock:
        if _tf_growth_done:
            return
        for gpu in tf.config.list_physical_devices("GPU"):
            try:
                tf.config.experimental.set_memory_growth(gpu, True)
            except RuntimeError as e:  # GPU already initialised
                LOG.warning("could not enable TensorFlow memory growth on %s: %s", gpu, e)
        _tf_growth_done = True


class TensorFlowModel:
    """SavedModel's serving_default signature. UNTESTED against real TensorFlow (not
    installable here); tested against tests/python/fake_tensorflow."""

    def __init__(self, spec):
        os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")  # read when TF initialises a GPU
        tf = self.tf = require("tensorflow", spec)
        enable_tf_memory_growth(tf)  # before loading anything
        self.device = "tensorflow"
        self.loaded = tf.saved_model.load(spec.path)
        self.fn = self.loaded.signatures["serving_default"]

    def predict_proba(self, batch):
        outputs = self.fn(self.tf.constant(batch))
        if isinstance(outputs, dict):
            key = next((k for k in ("probabilities", "probs", "logits") if k in outputs), None)
            if key is None:
                if len(outputs) != 1:
                    raise ValueError(f"serving_default returns {sorted(outputs)}; expected one output "
                                     "or one named probabilities/logits")
                key = next(iter(outputs))
            outputs = outputs[key]
        return to_probabilities(np.asarray(outputs.numpy() if hasattr(outputs, "numpy") else outputs))

