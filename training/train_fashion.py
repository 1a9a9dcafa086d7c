"""Train the `fashion` model: a small CNN on Fashion-MNIST, saved as TorchScript.

Run: `/usr/bin/python3 training/train_fashion.py` (or `npm run train`, which also trains
`sentiment`). Reads the gzipped IDX files of Debian's `dataset-fashion-mnist` package
(override the folder with FASHION_MNIST_DIR), trains with fixed seeds on 2 CPU threads
(about two minutes on 2 cores), prints the accuracy on the 10,000 test images and
writes model-src/fashion/model.pt plus the model's entry in model-src/models.json.

Normalisation lives INSIDE the scripted module: it takes raw pixels (any numeric dtype,
values 0..255, shape [N, 28, 28]) and returns logits [N, 10], so the artifact is
self-contained and inference.py only validates and batches the request.
"""
import os
import random
import sys
import time

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODEL_SRC, load_idx, record_figures, update_manifest, cli_parser  # noqa: E402

SEED = 20240601
EPOCHS = 4
BATCH = 128
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
          "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
# Mean and standard deviation of the training pixels scaled to 0..1 (Fashion-MNIST).
MEAN, STD = 0.2860, 0.3530


class FashionCNN(nn.Module):
    """Raw pixels [N, 28, 28] in 0..255 -> logits [N, 10]."""

    def __init__(self):
        super().__init__()
        self.mean = MEAN  # plain float attributes become constants of the scripted module
        self.std = STD
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
        )

    def forward(self, pixels: torch.Tensor) -> torch.Tensor:
        x = pixels.to(torch.float32).unsqueeze(1)
        x = (x / 255.0 - self.mean) / self.std
        return self.classifier(self.features(x))


def main():
    data_dir = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    torch.set_num_threads(2)
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)

    x_train = torch.from_numpy(load_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz")).copy())
    y_train = torch.from_numpy(load_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    x_test = torch.from_numpy(load_idx(os.path.join(data_dir, "t10k-images-idx3-ubyte.gz")).copy())
    y_test = torch.from_numpy(load_idx(os.path.join(data_dir, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    print(f"train {tuple(x_train.shape)}, test {tuple(x_test.shape)} from {data_dir}")

    model = FashionCNN()
    torch.jit.script(model)  # fail now, not after training, if the module cannot be scripted
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=4e-3, total_steps=EPOCHS * ((len(x_train) + BATCH - 1) // BATCH))
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        start, total = time.time(), 0.0
        for idx in torch.randperm(len(x_train), generator=gen).split(BATCH):
            opt.zero_grad()
            loss = loss_fn(model(x_train[idx]), y_train[idx])
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * len(idx)
        print(f"epoch {epoch + 1}/{EPOCHS}: loss {total / len(x_train):.4f} ({time.time() - start:.0f} s)")

    model.eval()
    scripted = torch.jit.script(model)
    with torch.inference_mode():
        pred = torch.cat([scripted(b).argmax(1) for b in x_test.split(1000)])
    acc = (pred == y_test).float().mean().item()
    print(f"fashion test accuracy: {acc:.4f} on {len(y_test)} test images")
    if acc < 0.88:
        raise SystemExit(f"accuracy {acc:.4f} is below the required 0.88; model not saved")

    out = os.path.join(MODEL_SRC, "fashion", "model.pt")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    scripted.save(out)
    params = sum(t.numel() * t.element_size() for t in list(model.parameters()) + list(model.buffers()))
    print(f"saved {out} ({os.path.getsize(out)} bytes, {params} parameter+buffer bytes)")
    record_figures("fashion", {"testAccuracy": round(acc, 4), "testImages": len(y_test), "trainImages": len(x_train),
                               "epochs": EPOCHS, "parameters": sum(p.numel() for p in model.parameters()),
                               "torch": torch.__version__})
    update_manifest({
        "name": "fashion", "framework": "pytorch", "path": "fashion/model.pt",
        "task": "image-classification", "labels": LABELS,
        "input": {"kind": "image", "shape": [28, 28], "dtype": "uint8", "range": [0, 255], "maxBatch": 256},
    }, estimate_bytes=params * 4)


def parse_args(argv=None):
    parser = cli_parser(__doc__, "Takes no options; FASHION_MNIST_DIR overrides the data folder.\n\nexamples:\n"
               "  /usr/bin/python3 training/train_fashion.py\n  npm run train    # both models")
    return parser.parse_args(argv)


if __name__ == "__main__":
    parse_args()
    main()
