"""A STAND-IN for the few TensorFlow APIs inference.py's TensorFlow handler uses.

NOT TensorFlow: TensorFlow cannot be installed on this machine. Tests inject this module as
``sys.modules["tensorflow"]`` to check the handler's calls and their order (memory growth is
enabled before any SavedModel is loaded). Real TensorFlow behaviour is untested.

A "SavedModel" here is a folder holding ``weights.npy`` (a [features, classes] matrix): the
serving_default signature returns {"logits": inputs.reshape(N, -1) @ weights}.
"""
import os

import numpy as np

CALLS = []  # ("list_physical_devices", kind) / ("set_memory_growth", device, flag) / ("load", path)
GPUS = ["/physical_device:GPU:0"]


def reset():
    CALLS.clear()


class Tensor:
    def __init__(self, value):
        self._value = np.asarray(value)

    def numpy(self):
        return self._value


def constant(value):
    return Tensor(value)


class _Experimental:
    @staticmethod
    def set_memory_growth(device, enable):
        CALLS.append(("set_memory_growth", device, enable))


class config:  # noqa: N801 - mirrors tf.config
    experimental = _Experimental

    @staticmethod
    def list_physical_devices(kind=None):
        CALLS.append(("list_physical_devices", kind))
        return list(GPUS) if kind == "GPU" else []


class _Loaded:
    def __init__(self, path):
        weights = np.load(os.path.join(path, "weights.npy"))
        self.signatures = {"serving_default": lambda x: {"logits": Tensor(
            x.numpy().reshape(len(x.numpy()), -1).astype(np.float64) @ weights)}}


class saved_model:  # noqa: N801 - mirrors tf.saved_model
    @staticmethod
    def load(path):
        CALLS.append(("load", path))
        return _Loaded(path)
