"""Train the sample models (`npm run train`): fashion, then sentiment, or the one named by --model.

Each runs as its own process (training/train_fashion.py, training/train_sentiment.py), prints its
accuracy and writes its artifact under model-src/ plus its entry in model-src/models.json.
"""
import os
import subprocess
import sys

from common import cli_parser

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = {"fashion": "train_fashion.py", "sentiment": "train_sentiment.py"}


def main(argv=None):
    parser = cli_parser(__doc__, "fashion takes about 3 to 5 minutes on 2 CPU cores, sentiment about 30 s.\n\nexamples:\n"
               "  npm run train\n  npm run train -- --model sentiment")
    parser.add_argument("--model", choices=sorted(SCRIPTS), action="append",
                        help="train only this model (repeatable); default: both")
    args = parser.parse_args(argv)
    for name in args.model or list(SCRIPTS):
        code = subprocess.call([sys.executable, os.path.join(HERE, SCRIPTS[name])])
        if code != 0:
            raise SystemExit(f"train: {SCRIPTS[name]} failed (exit {code}); see its output above")


if __name__ == "__main__":
    main()
