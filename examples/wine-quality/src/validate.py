"""Stage validate: checks the ingested CSV against the data contract in schema.yaml."""

import sys

import pandas as pd

from common import ROOT, config, read_yaml, write_json

cfg = config()["data_validation"]
schema = read_yaml("schema.yaml")
frame = pd.read_csv(ROOT / cfg["unzip_data_dir"])

problems = []
expected = schema["COLUMNS"]
for column, dtype in expected.items():
    if column not in frame.columns:
        problems.append(f"column {column} is missing from the data")
    elif str(frame[column].dtype) != dtype:
        problems.append(f"column {column} is {frame[column].dtype}, the contract says {dtype}")
for column in frame.columns:
    if column not in expected:
        problems.append(f"column {column} is not in the contract")
if schema["TARGET_COLUMN"]["name"] not in expected:
    problems.append("TARGET_COLUMN is not one of COLUMNS")

write_json(cfg["status_file"], {"valid": not problems, "problems": problems})
if problems:
    print("validate: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
print(f"validate: {len(frame.columns)} columns match schema.yaml")
