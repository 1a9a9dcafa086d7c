"""PyTorch: a TorchScript module (torch.jit.save), on the worker's GPU when CUDA is available."""
import numpy as np

from mme.frameworks import require
from mme.frameworks.threads import apply_torch_threads
from mme.response import to_probabilities


class TorchModel:
    """TorchScript module; CUDA when available (the worker's GPU), else CPU; batches under
    inference_mode."""

    def __init__(self, spec, gpu_id=None):
        torch = self.torch = require("torch", spec)
        apply_torch_threads(torch)  # torch is loaded now: size its thread pools from the environment
        self.device = torch.device("cuda", gpu_id or 0) if torch.cuda.is_available() else torch.device("cpu")
        self.module = torch.jit.load(spec.path, map_location=self.device).eval()
        tensors = list(self.module.parameters()) + list(self.module.buffers())
        self.nbytes = sum(t.numel() * t.element_size() for t in tensors)

    def predict_proba(self, batch):
        torch = self.torch
        with torch.inference_mode():
            out = self.module(torch.from_numpy(np.ascontiguousarray(batch)).to(self.device))
            return to_probabilities(out.float().cpu().numpy())

