"""Makes an MLflow SQLite store for the runs benchmark.

MLflow itself creates the database (schema and migrations) by logging one run through its client;
the rest is bulk-filled with sqlite3 into MLflow's own tables and columns, because logging millions
of points through the client would take hours.

    python bench/make-mlflow-store.py OUT.db [--runs 10000] [--metrics 20] [--steps 100] [--params 10] [--tags 5]

Prints one JSON line: {"path", "runs", "metricRows", "experimentId", "seconds"}.
"""

import argparse
import json
import os
import random
import sqlite3
import time
import uuid


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("path")
    parser.add_argument("--runs", type=int, default=10000)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--params", type=int, default=10)
    parser.add_argument("--tags", type=int, default=5)
    args = parser.parse_args()

    started = time.time()
    if os.path.exists(args.path):
        os.remove(args.path)
    os.environ.setdefault("GIT_PYTHON_REFRESH", "quiet")
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{args.path}")
    experiment_id = mlflow.create_experiment("bench")
    with mlflow.start_run(experiment_id=experiment_id, run_name="schema"):
        mlflow.log_param("p0", "0")
        mlflow.set_tag("t0", "v")
        mlflow.log_metric("m0", 0.0, step=0)

    db = sqlite3.connect(args.path)
    db.execute("PRAGMA journal_mode = OFF")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -1000000")
    rng = random.Random(7)
    now = int(time.time() * 1000) - args.runs * 60_000
    metric_rows = 0
    batch_runs = 100
    for first in range(0, args.runs, batch_runs):
        runs, params, tags, latest, metrics = [], [], [], [], []
        for r in range(first, min(first + batch_runs, args.runs)):
            run = uuid.UUID(int=rng.getrandbits(128)).hex
            start = now + r * 60_000
            runs.append(
                (run, f"run-{r}", "LOCAL", "train.py", "", "bench", "FINISHED", start, start + 50_000, "", "active",
                 f"mlflow-artifacts:/{experiment_id}/{run}/artifacts", experiment_id)
            )
            params += [(f"p{i}", str(rng.randint(0, 1000)), run) for i in range(args.params)]
            tags += [(f"t{i}", f"value-{i}-{r % 7}", run) for i in range(args.tags)]
            tags.append(("mlflow.runName", f"run-{r}", run))
            for m in range(args.metrics):
                value = 0.0
                for s in range(args.steps):
                    value = rng.random()
                    metrics.append((f"m{m}", value, start + s * 100, run, s, 0))
                latest.append((f"m{m}", value, start + (args.steps - 1) * 100, args.steps - 1, 0, run))
        db.executemany(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status,"
            " start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            runs,
        )
        db.executemany("INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)", params)
        db.executemany("INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)", tags)
        db.executemany(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)",
            latest,
        )
        db.executemany(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)",
            metrics,
        )
        metric_rows += len(metrics)
    db.commit()
    db.close()
    print(
        json.dumps(
            {
                "path": args.path,
                "runs": args.runs + 1,
                "metricRows": metric_rows + 1,
                "experimentId": experiment_id,
                "seconds": round(time.time() - started, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
