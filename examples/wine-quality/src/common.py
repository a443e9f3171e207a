"""Shared helpers of the wine-quality stages: reading config/params and optional MLflow logging."""

import json
import os
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def read_yaml(name):
    with open(ROOT / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def config():
    return read_yaml("config/config.yaml")


def params():
    return read_yaml("params.yaml")


def write_json(path, value):
    path = ROOT / path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.write("\n")


def mlflow_or_none():
    """MLflow when it is installed and not switched off with WINE_QUALITY_MLFLOW=0, else None."""
    if os.environ.get("WINE_QUALITY_MLFLOW", "1") == "0":
        return None
    try:
        import mlflow  # noqa: PLC0415 - optional dependency
    except ImportError:
        return None
    mlflow.set_tracking_uri(os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{ROOT / 'mlflow.db'}"))
    mlflow.set_experiment("wine-quality")
    return mlflow
