#!/usr/bin/env bash
# Creates .venv/ with the Python tools the example project and the tool tests use
# (DVC, MLflow, scikit-learn, pandas). Idempotent: a venv that already has them is kept.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv"
python="${PYTHON:-python3}"
if [ -x "$venv/bin/dvc" ] && [ -x "$venv/bin/mlflow" ] && "$venv/bin/python" -c 'import sklearn, pandas' 2>/dev/null; then
  echo "python tools: ready in .venv ($("$venv/bin/dvc" --version 2>/dev/null | head -1) dvc)"
  exit 0
fi
"$python" -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$root/scripts/requirements-tools.txt"
echo "python tools: installed into .venv"
