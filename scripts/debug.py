"""Run model-src/code/inference.py's model_fn and then the three stages of its transform_fn
(stages.py: input_fn, predict_fn, output_fn) one by one on real sample inputs and print every
step (the original article's debug_pt.py, for both models); then the whole transform_fn once.

    npm run debug -- --model fashion        # 3 Fashion-MNIST test images
    npm run debug -- --model sentiment      # 3 sample sentences
    npm run debug -- --model fashion --model-dir /path/to/extracted/archive

Exits non-zero when any step fails, printing the error's status and JSON body.
"""
import gzip
import json
import os
import sys
import time

from pycli import cli_parser

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXTS = ["I love this, what a wonderful day!", "this is awful, I hate waiting", "going to the office at 9"]


def fashion_inputs(n=3):
    """The first n images of the Fashion-MNIST test set as 28x28 lists of raw pixels."""
    path = os.path.join(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"),
                        "t10k-images-idx3-ubyte.gz")
    with gzip.open(path, "rb") as f:
        data = f.read(16 + 784 * n)
    pixels = list(data[16:])
    return [[pixels[i * 784 + r * 28:i * 784 + r * 28 + 28] for r in range(28)] for i in range(n)]


def main(argv=None):
    parser = cli_parser(__doc__, "examples:\n  npm run debug -- --model fashion\n"
                                 "  npm run debug -- --model sentiment --model-dir /tmp/extracted/model")
    parser.add_argument("--model", required=True, choices=["fashion", "sentiment"])
    parser.add_argument("--model-dir", default=os.path.join(REPO, "model-src"),
                        help="a model directory (model-src/ or an extracted archive); default model-src/")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.join(args.model_dir, "code"))
    import inference
    import stages

    inputs = fashion_inputs() if args.model == "fashion" else TEXTS
    body = json.dumps({"model": args.model, "inputs": inputs})
    try:
        t = time.perf_counter()
        models = inference.model_fn(args.model_dir)
        print(f"1. model_fn({args.model_dir!r}) -> {type(models).__name__} with models "
              f"{sorted(models.specs)}; resident {models.cache.resident()}; ready {models.ready()} "
              f"({time.perf_counter() - t:.2f} s)")
        t = time.perf_counter()
        data = stages.input_fn(body, "application/json")
        print(f"2. input_fn(<{len(body)} bytes of JSON>, 'application/json') -> {data!r} "
              f"({time.perf_counter() - t:.3f} s)")
        t = time.perf_counter()
        prediction = stages.predict_fn(data, models)
        print(f"3. predict_fn(data, models) -> {len(prediction['predictions'])} predictions "
              f"({time.perf_counter() - t:.3f} s)")
        for item, pred in zip(inputs, prediction["predictions"]):
            shown = repr(item) if isinstance(item, str) else "28x28 image"
            top = max(pred["scores"].values())
            print(f"   {shown}: {pred['label']} (class_id {pred['class_id']}, p={top:.3f})")
        t = time.perf_counter()
        response, content_type = stages.output_fn(prediction, "application/json")
        print(f"4. output_fn(prediction, 'application/json') -> {content_type}, {len(response)} bytes "
              f"({time.perf_counter() - t:.3f} s):\n   {response[:300]}{'...' if len(response) > 300 else ''}")
        whole = inference.transform_fn(models, body, "application/json", "application/json")
        print(f"5. transform_fn(models, body, 'application/json', 'application/json') -> {whole[1]}, "
              f"{'the same' if whole[0] == response else 'a DIFFERENT'} body")
        if whole[0] != response:
            return 1
    except inference.InferenceError as e:
        print(f"FAILED with HTTP {e.status_code} {e.phrase}: {e.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
