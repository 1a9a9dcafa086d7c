"""scikit-learn: a joblib-saved estimator or Pipeline with predict_proba, on the CPU."""
import numpy as np

from mme.frameworks import require


class SklearnModel:
    """joblib-saved estimator or Pipeline with predict_proba; columns put in label order."""

    def __init__(self, spec):
        require("sklearn", spec)
        joblib = require("joblib", spec)
        self.model = joblib.load(spec.path)
        self.device = "cpu"
        if not hasattr(self.model, "predict_proba"):
            raise TypeError(f"{spec.rel_path} holds a {type(self.model).__name__} without predict_proba")
        classes = list(getattr(self.model, "classes_", range(len(spec.labels))))
        self.columns = []
        for c in classes:
            if isinstance(c, str) and c in spec.labels:
                self.columns.append(spec.labels.index(c))
            elif isinstance(c, (int, np.integer)) and 0 <= int(c) < len(spec.labels):
                self.columns.append(int(c))
            else:
                raise ValueError(f"{spec.rel_path}: class {c!r} is neither a label of models.json "
                                 f"({spec.labels}) nor an index into them")
        self.n_labels = len(spec.labels)

    def predict_proba(self, batch):
        probs = np.asarray(self.model.predict_proba(batch))
        out = np.zeros((probs.shape[0], self.n_labels))
        out[:, self.columns] = probs
        return out
