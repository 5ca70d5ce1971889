"""The one harness for races: real threads on their own database connections, released at the same instant.

Row locks mean nothing on SQLite, so the race tests run on PostgreSQL only (set DATABASE_URL); `postgresql_only`
skips them elsewhere.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection


def postgresql_only() -> None:
    """Skip the calling test unless the database is PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrency is proved on PostgreSQL (set DATABASE_URL)")


def run_together(*calls: Callable[[], Any], timeout: float = 60) -> list[Any]:
    """Run the calls in threads released at the same instant; return each result or the exception it raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def worker(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as exc:  # noqa: BLE001 — the outcome is the test's subject
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return results
