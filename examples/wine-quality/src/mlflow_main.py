"""MLflow entry point `main`: ingest, validate and train one model with the given parameters."""

import argparse
import os
import runpy
import sys
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--model", default="rf")
parser.add_argument("--test-size", type=float, default=0.25)
args = parser.parse_args()

here = Path(__file__).resolve().parent
os.environ.setdefault("WINE_QUALITY_TEST_SIZE", str(args.test_size))
for script in ("ingest.py", "validate.py"):
    runpy.run_path(str(here / script), run_name="__main__")
sys.argv = ["train.py", args.model]
runpy.run_path(str(here / "train.py"), run_name="__main__")
