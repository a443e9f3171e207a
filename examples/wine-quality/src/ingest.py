"""Stage ingest: writes scikit-learn's bundled wine data as a CSV and splits it (no download)."""

import os

from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split

from common import ROOT, config, params

cfg = config()["data_ingestion"]
split = params()["split"]
# The MLflow entry point passes its test_size parameter this way.
split["test_size"] = float(os.environ.get("WINE_QUALITY_TEST_SIZE", split["test_size"]))

wine = load_wine(as_frame=True)
frame = wine.frame.rename(columns={"target": "cultivar"})
frame.columns = [column.replace("/", "_") for column in frame.columns]

out_dir = ROOT / cfg["root_dir"]
out_dir.mkdir(parents=True, exist_ok=True)
frame.to_csv(ROOT / cfg["local_data_file"], index=False)

train, test = train_test_split(
    frame, test_size=split["test_size"], random_state=split["random_state"], stratify=frame["cultivar"]
)
train.to_csv(ROOT / config()["model_trainer"]["train_data_path"], index=False)
test.to_csv(ROOT / config()["model_trainer"]["test_data_path"], index=False)
print(f"ingest: {len(frame)} rows, {len(train)} train, {len(test)} test")
