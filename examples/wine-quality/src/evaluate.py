"""Stage evaluate: scores every trained model on the test split and writes metrics.json."""

import joblib
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from common import ROOT, config, params, read_yaml, write_json

target = read_yaml("schema.yaml")["TARGET_COLUMN"]["name"]
test = pd.read_csv(ROOT / config()["model_trainer"]["test_data_path"])
x_test, y_test = test.drop(columns=[target]), test[target]
primary = params()["evaluate"]["primary_metric"]

scores = {}
for name in params()["models"]:
    model = joblib.load(ROOT / config()["model_trainer"]["root_dir"] / f"{name}.joblib")
    predicted = model.predict(x_test)
    scores[name] = {
        "accuracy": round(float(accuracy_score(y_test, predicted)), 4),
        "f1_macro": round(float(f1_score(y_test, predicted, average="macro")), 4),
    }

best = max(scores, key=lambda name: scores[name][primary])
write_json("metrics.json", {"best_model": best, primary: scores[best][primary], "models": scores})
print(f"evaluate: best model {best} with {primary} {scores[best][primary]}")
