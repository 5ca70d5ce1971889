"""Shared plumbing for benchmarks: a scratch PostgreSQL database, a production-like server, timing."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
BIN = Path(PYTHON).parent


def fresh_database(url: str) -> None:
    """Drop and recreate the database named in a postgres:// URL."""
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def django_env(database_url: str) -> dict[str, str]:
    """Environment for the bench's Django processes."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="bench.settings",
        WUYOU_CONN_MAX_AGE="600",
        PYTHONPATH=str(ROOT),
    )
    return env


def setup_django(database_url: str) -> None:
    """Configure Django in this process against the bench database."""
    os.environ.update(django_env(database_url))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def migrate(database_url: str) -> None:
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=ROOT, env=django_env(database_url), check=True)
    subprocess.run([PYTHON, "manage.py", "createcachetable"], cwd=ROOT, env=django_env(database_url), check=True)


class Server:
    """gunicorn serving config.wsgi like production, on a loopback port."""

    def __init__(self, database_url: str, port: int, workers: int):
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "config.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--log-level",
                "warning",
                "--access-logfile",
                "/dev/null",
            ],
            cwd=ROOT,
            env=django_env(database_url),
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/login/", timeout=2)
                return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def percentile(samples: list[float], p: float) -> float:
    """The p-th percentile (0–100) of samples, by nearest rank."""
    ordered = sorted(samples)
    index = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def summary(samples_s: list[float]) -> dict[str, float]:
    ms = [s * 1000 for s in samples_s]
    return {
        "p50_ms": round(statistics.median(ms), 2),
        "p99_ms": round(percentile(ms, 99), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
    }


def write_results(name: str, lines: list[str], figures: dict[str, object]) -> None:
    """Print the figures and keep them in bench/results/<name>.txt and .json."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    (RESULTS / f"{name}.txt").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
