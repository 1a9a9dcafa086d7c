"""Measure the shipped fashion model (model-src/fashion/model.pt) on the 10,000 Fashion-MNIST test images.

Writes its entry of training/figures.json (test accuracy, parameters, data sizes), the same figures
train_fashion.py records after training, without training again. Run after changing the artifact.
"""
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODEL_SRC, load_idx, record_figures, cli_parser  # noqa: E402
import train_fashion  # noqa: E402


def measure(data_dir=None):
    data_dir = data_dir or os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    model = torch.jit.load(os.path.join(MODEL_SRC, "fashion", "model.pt"), map_location="cpu").eval()
    x = torch.from_numpy(load_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")).copy())
    y = torch.from_numpy(load_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")).astype("int64"))
    with torch.inference_mode():
        pred = torch.cat([model(b).argmax(1) for b in x.split(1000)])
    train_labels = load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    return {"testAccuracy": round((pred == y).float().mean().item(), 4), "testImages": len(y), "trainImages": len(train_labels),
            "epochs": train_fashion.EPOCHS, "parameters": sum(p.numel() for p in model.parameters()),
            "torch": torch.__version__}


def main(argv=None):
    parser = cli_parser(__doc__, "Takes no options; FASHION_MNIST_DIR overrides the data folder.\n\nexamples:\n"
               "  /usr/bin/python3 training/evaluate_fashion.py")
    parser.parse_args(argv)
    figures = measure()
    record_figures("fashion", figures)
    print(f"fashion: {figures['testAccuracy']:.4f} on {figures['testImages']} test images; wrote training/figures.json")


if __name__ == "__main__":
    main()
