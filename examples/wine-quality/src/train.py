"""Stage train@<model>: fits one model from params.yaml and saves it; logs to MLflow when available."""

import sys
import warnings

import joblib
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from common import ROOT, config, mlflow_or_none, params, read_yaml

name = sys.argv[1]
settings = dict(params()["models"][name])
kind = settings.pop("kind")
cfg = config()["model_trainer"]
target = read_yaml("schema.yaml")["TARGET_COLUMN"]["name"]

train = pd.read_csv(ROOT / cfg["train_data_path"])
test = pd.read_csv(ROOT / cfg["test_data_path"])
x_train, y_train = train.drop(columns=[target]), train[target]
x_test, y_test = test.drop(columns=[target]), test[target]


def build(step_fraction):
    """The model at a fraction of its full size, so the run has a metric history to plot."""
    if kind == "random_forest":
        trees = max(1, round(settings["n_estimators"] * step_fraction))
        return RandomForestClassifier(
            n_estimators=trees, max_depth=settings["max_depth"], random_state=0
        )
    if kind == "logistic_regression":
        iterations = max(1, round(settings["max_iter"] * step_fraction))
        return make_pipeline(
            StandardScaler(), LogisticRegression(C=settings["C"], max_iter=iterations)
        )
    raise SystemExit(f"train: unknown model kind {kind!r} in params.yaml models.{name}.kind")


history = []
model = None
for step in range(1, 6):
    model = build(step / 5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x_train, y_train)
    history.append((step, accuracy_score(y_test, model.predict(x_test))))

out = ROOT / cfg["root_dir"] / f"{name}.joblib"
out.parent.mkdir(parents=True, exist_ok=True)
joblib.dump(model, out)

mlflow = mlflow_or_none()
if mlflow is not None:
    with mlflow.start_run(run_name=f"train@{name}"):
        mlflow.log_params({"model": name, "kind": kind, **settings})
        for step, accuracy in history:
            mlflow.log_metric("accuracy", accuracy, step=step)
        mlflow.set_tag("stage", f"train@{name}")
print(f"train@{name}: accuracy {history[-1][1]:.4f}")
