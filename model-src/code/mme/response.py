"""Scores to probabilities and the response document
``{"model": "<name>", "predictions": [{"label", "class_id", "scores"}]}``. Pure."""
import numpy as np

from mme.errors import bad


def to_probabilities(scores):
    """Rows that already are probability distributions stay; anything else gets a softmax."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.size and np.all(scores >= 0) and np.all(scores <= 1) and np.allclose(scores.sum(axis=1), 1, atol=1e-3):
        return scores
    shifted = scores - scores.max(axis=1, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=1, keepdims=True)


def format_predictions(spec, probs):
    probs = np.asarray(probs)
    if probs.ndim != 2 or probs.shape[1] != len(spec.labels):
        raise bad("prediction_failed", f"model '{spec.name}' returned scores of shape {list(probs.shape)}, "
                                       f"expected [batch, {len(spec.labels)}] (one per label in models.json)", 500)
    preds = []
    for row in probs:
        k = int(np.argmax(row))
        preds.append({"label": spec.labels[k], "class_id": k,
                      "scores": {label: round(float(p), 6) for label, p in zip(spec.labels, row)}})
    return {"model": spec.name, "predictions": preds}

