"""Train the `sentiment` model: TF-IDF + logistic regression, saved with joblib.

Run: `/usr/bin/python3 training/train_sentiment.py` (or `npm run train`). Reads
training/data/sentiment.csv (MIT, see training/data/README.md; override with SENTIMENT_CSV;
columns `selected_text,sentiment`, the label is the LAST field, texts may contain commas),
holds out a stratified 20% with a fixed seed, prints the held-out accuracy, refits on all
rows and writes model-src/sentiment/model.joblib plus the model's entry in models.json.

The artifact is a scikit-learn Pipeline whose `predict_proba` takes a list of strings and
whose `classes_` are the integer ids 0 = Neutral, 1 = Negative, 2 = Positive.
"""
import csv
import os
import sys

import joblib
import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import classification_report
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import MODEL_SRC, SENTIMENT_CSV, record_figures, update_manifest, cli_parser  # noqa: E402

SEED = 20240601
LABELS = ["Neutral", "Negative", "Positive"]


def read_csv(path):
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        for lineno, row in enumerate(reader, start=2):
            if not row:
                continue
            # The label is always the last field; an unquoted text may have been split on commas.
            text, label = ",".join(row[:-1]), row[-1].strip()
            if label not in ("0", "1", "2"):
                raise ValueError(f"{path}:{lineno}: label {label!r} is not 0, 1 or 2 (header {header})")
            texts.append(text)
            labels.append(int(label))
    return texts, np.array(labels)


def make_pipeline():
    # One vectorizer of character n-grams within word boundaries (1 to 5 characters): they cover whole short
    # words, stems and endings, and a single vectorizer keeps a prediction cheap (no union to dispatch).
    features = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 5), min_df=3, sublinear_tf=True)
    clf = LogisticRegression(C=3.0, max_iter=2000, random_state=SEED)
    return Pipeline([("tfidf", features), ("clf", clf)])


def main():
    path = os.environ.get("SENTIMENT_CSV", SENTIMENT_CSV)
    texts, y = read_csv(path)
    print(f"{len(texts)} rows from {os.path.normpath(path)}; counts {np.bincount(y).tolist()} ({LABELS})")
    x_tr, x_te, y_tr, y_te = train_test_split(texts, y, test_size=0.2, stratify=y, random_state=SEED)
    model = make_pipeline().fit(x_tr, y_tr)
    pred = model.predict(x_te)
    acc = float((pred == y_te).mean())
    print(classification_report(y_te, pred, target_names=LABELS, digits=3))
    print(f"sentiment held-out accuracy: {acc:.4f} on {len(y_te)} held-out rows (stratified 20%, seed {SEED})")

    model = make_pipeline().fit(texts, y)  # the shipped model sees every row
    # stop_words_ lists every n-gram pruned by min_df/max_features: only for introspection,
    # and it would make the artifact (and its memory and load time) many times larger.
    delattr(model.named_steps["tfidf"], "stop_words_")
    out = os.path.join(MODEL_SRC, "sentiment", "model.joblib")
    os.makedirs(os.path.dirname(out), exist_ok=True)
    joblib.dump(model, out, compress=3)
    size = os.path.getsize(out)
    print(f"saved {out} ({size} bytes) with scikit-learn {sklearn.__version__}, joblib {joblib.__version__}")
    vectorizer = model.named_steps["tfidf"]
    record_figures("sentiment", {"heldOutAccuracy": round(acc, 4), "heldOutRows": len(y_te), "rows": len(texts),
                                 "analyzer": vectorizer.analyzer, "ngramRange": list(vectorizer.ngram_range),
                                 "features": len(vectorizer.vocabulary_),
                                 "labelCounts": np.bincount(y).tolist(), "seed": SEED, "sklearn": sklearn.__version__})
    update_manifest({
        "name": "sentiment", "framework": "sklearn", "path": "sentiment/model.joblib",
        "task": "text-classification", "labels": LABELS,
        "input": {"kind": "text", "dtype": "string", "maxLength": 1000, "maxBatch": 256},
    }, estimate_bytes=size * 8)


def parse_args(argv=None):
    parser = cli_parser(__doc__, "Takes no options; SENTIMENT_CSV overrides the data file (default training/data/sentiment.csv).\n\n"
               "examples:\n  /usr/bin/python3 training/train_sentiment.py\n  npm run train    # both models")
    return parser.parse_args(argv)


if __name__ == "__main__":
    parse_args()
    main()
