"""`wuyou backup` and `wuyou restore`, for real: the demo is loaded into a fresh database, backed up with the command,
restored into another fresh database, and every model's rows (count, keys and a spread sample) must be the same.

SQLite always; PostgreSQL when a server answers on 127.0.0.1:5432 (two scratch databases, dropped at the end).
The demo is the real one at the size tests/test_cli.py uses (12 customers, 14 units, 16 requests and the field
day that comes with them: some 2,400 rows in 47 tables): the full demo takes minutes to load.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
DEMO = ["demo", "--customers", "12", "--units", "14", "--requests", "16"]
SAMPLE = 12  # rows per model, spread over the table, besides every primary key
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


def environment(var_dir: Path, database_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update(WUYOU_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def wuyou(*args: str, env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wuyou.cli", *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,  # no terminal: a restore that would need a yes is refused, never asked
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def print_snapshot() -> None:
    """Run in a child with the database's environment: every model's rows, and every table's count, as JSON."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.apps import apps
    from django.db import connection

    models: dict[str, Any] = {}
    for model in apps.get_models(include_auto_created=True):  # every app's models and their many-to-many tables
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        rows = model._base_manager.order_by("pk")
        keys = list(rows.values_list("pk", flat=True))
        sample = sorted(set(keys[:: max(1, len(keys) // SAMPLE)] + keys[-2:]))
        columns = [f.attname for f in meta.concrete_fields]
        models[meta.label] = {
            "count": len(keys),
            "keys": keys,
            "sample": [list(row) for row in rows.filter(pk__in=sample).values_list(*columns)],
        }
    with connection.cursor() as cursor:
        tables = {}
        for table in sorted(connection.introspection.table_names(cursor)):
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            tables[table] = cursor.fetchone()[0]
    print(json.dumps({"models": models, "tables": tables}, default=str, ensure_ascii=False))


def snapshot(env: dict[str, str]) -> dict[str, Any]:
    child = subprocess.run(
        [sys.executable, "-c", "from tests.test_backup import print_snapshot; print_snapshot()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr
    return json.loads(child.stdout)


def assert_same_data(source: dict[str, Any], restored: dict[str, Any]) -> None:
    assert sorted(restored["models"]) == sorted(source["models"])
    for label, expected in source["models"].items():
        found = restored["models"][label]
        assert found["count"] == expected["count"], label
        assert found["keys"] == expected["keys"], label
        assert found["sample"] == expected["sample"], label
    assert restored["tables"] == source["tables"]  # the tables that are no model's too (the cache, the migrations)
    filled = [label for label, rows in source["models"].items() if rows["count"]]
    assert len(filled) >= 30, f"the demo filled too few models to prove anything: {filled}"


def assert_refused(result: subprocess.CompletedProcess[str], status: int, *names: object) -> None:
    assert result.returncode == status, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    for name in names:
        assert str(name) in result.stderr, result.stderr


# -- SQLite ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sqlite_demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    var_dir = tmp_path_factory.mktemp("source")
    env = environment(var_dir)
    loaded = wuyou(*DEMO, env=env)
    assert loaded.returncode == 0, loaded.stderr
    return env


@pytest.fixture(scope="module")
def sqlite_backup(sqlite_demo: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    backup = tmp_path_factory.mktemp("backups") / "wuyou.sqlite3"
    backed = wuyou("backup", "--output", str(backup), env=sqlite_demo)
    assert backed.returncode == 0, backed.stderr
    return backup


def test_sqlite_backup_restores_every_row_into_a_fresh_database(sqlite_demo: dict[str, str], tmp_path: Path):
    source_dir = Path(sqlite_demo["WUYOU_VAR_DIR"])
    before = snapshot(sqlite_demo)
    # When the demo's database is backed up to the default place
    backed = wuyou("backup", env=sqlite_demo)
    assert backed.returncode == 0, backed.stderr
    [backup] = list((source_dir / "backups").iterdir())  # nothing half-written left beside it
    assert backup.name.startswith("wuyou-") and backup.suffix == ".sqlite3"
    assert str(backup) in backed.stdout and str(backup.stat().st_size) in backed.stdout
    assert f"{len(before['tables'])} " in backed.stdout  # the table count
    assert f"{sum(before['tables'].values())} " in backed.stdout  # the row count
    assert backup.stat().st_mode & 0o077 == 0  # personal data: the owner's only
    assert backup.read_bytes()[18:20] == b"\x01\x01"  # a rollback-journal file: whole without a -wal beside it
    # And restored into a fresh database elsewhere
    fresh = environment(tmp_path / "restored")
    restored = wuyou("restore", str(backup), env=fresh)
    # Then every model has the same rows
    assert restored.returncode == 0, restored.stderr
    assert str(tmp_path / "restored" / "wuyou.sqlite3") in restored.stdout
    assert "wuyou migrate" not in restored.stdout  # made by this code: nothing pending
    assert_same_data(before, snapshot(fresh))


def test_sqlite_restore_refuses_a_database_with_data_until_told_yes(
    sqlite_demo: dict[str, str], sqlite_backup: Path, tmp_path: Path
):
    backup = sqlite_backup
    target_env = environment(tmp_path / "target")
    assert wuyou("restore", str(backup), env=target_env).returncode == 0
    target = tmp_path / "target" / "wuyou.sqlite3"
    with sqlite3.connect(target) as db:  # something the backup does not hold
        db.execute("CREATE TABLE marker (note text)")
        db.execute("INSERT INTO marker VALUES ('written after the backup')")
    db.close()
    # A restore without --yes (and no terminal to ask) is refused, and the database is left as it was
    refused = wuyou("restore", str(backup), env=target_env)
    assert_refused(refused, 3, target, "--yes")
    with sqlite3.connect(target) as db:
        assert db.execute("SELECT note FROM marker").fetchall() == [("written after the backup",)]
    db.close()
    # An older backup (one migration not yet applied), with --yes: replaced, and told to migrate
    older = tmp_path / "older.sqlite3"
    shutil.copy(backup, older)
    with sqlite3.connect(older) as db:
        db.execute("DELETE FROM django_migrations WHERE id = (SELECT max(id) FROM django_migrations)")
    db.close()
    replaced = wuyou("restore", str(older), "--yes", env=target_env)
    assert replaced.returncode == 0, replaced.stderr
    assert "wuyou migrate" in replaced.stdout
    with sqlite3.connect(target) as db:
        assert not db.execute("SELECT name FROM sqlite_master WHERE name = 'marker'").fetchall()
    db.close()
    # A backup never replaces a file
    assert_refused(wuyou("backup", "--output", str(backup), env=sqlite_demo), 2, backup)


def test_sqlite_restore_refuses_what_is_not_a_backup(sqlite_backup: Path, tmp_path: Path):
    fresh = environment(tmp_path / "fresh")
    target = tmp_path / "fresh" / "wuyou.sqlite3"
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(os.urandom(4096))
    assert_refused(wuyou("restore", str(garbage), env=fresh), 2, garbage)
    truncated = tmp_path / "truncated.sqlite3"
    truncated.write_bytes(sqlite_backup.read_bytes()[: 64 * 1024])  # the header, and a tenth of the pages
    assert_refused(wuyou("restore", str(truncated), env=fresh), 2, truncated)
    other = tmp_path / "other.sqlite3"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    assert_refused(wuyou("restore", str(other), env=fresh), 2, other)  # SQLite, but no Wuyou database
    pg_dump_file = tmp_path / "wuyou.dump"
    pg_dump_file.write_bytes(b"PGDMP\x01\x0e\x00" + bytes(200))
    assert_refused(wuyou("restore", str(pg_dump_file), env=fresh), 2, pg_dump_file, "PostgreSQL")
    assert_refused(wuyou("restore", str(tmp_path / "missing"), env=fresh), 2, tmp_path / "missing")
    assert not target.exists() or target.stat().st_size == 0  # nothing was restored


def test_sqlite_backup_is_consistent_while_another_process_writes(tmp_path: Path):
    from wuyou.core.backup.sqlite import sqlite_backup

    source = tmp_path / "live.sqlite3"
    with sqlite3.connect(source) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE ledger (n integer, padding blob)")
        db.execute("CREATE TABLE mirror (n integer)")  # gets one row in the same transaction as each ledger row
        db.executemany("INSERT INTO ledger VALUES (0, ?)", [(os.urandom(2000),) for _ in range(8000)])
    db.close()
    stop = threading.Event()
    commits = [0]

    def write() -> None:
        writer = sqlite3.connect(source, timeout=30, isolation_level=None)
        writer.execute("PRAGMA synchronous=OFF")
        while not stop.is_set():
            writer.execute("BEGIN IMMEDIATE")
            writer.execute("INSERT INTO ledger VALUES (?, x'00')", (commits[0] + 1,))
            writer.execute("INSERT INTO mirror VALUES (?)", (commits[0] + 1,))
            writer.execute("COMMIT")
            commits[0] += 1
        writer.close()

    thread = threading.Thread(target=write)
    thread.start()
    during: list[int] = []
    try:
        for n in range(10):
            if n >= 3 and any(during):
                break
            before = commits[0]
            counts = sqlite_backup(source=source, destination=tmp_path / f"copy-{n}.sqlite3")
            during.append(commits[0] - before)
            # every transaction wholly in the copy or wholly out of it
            assert counts.rows["ledger"] == 8000 + counts.rows["mirror"], counts
    finally:
        stop.set()
        thread.join()
    assert any(during), "the writer never wrote while a backup ran: the test proved nothing"
    assert not list(tmp_path.glob("*.partial"))


def test_postgres_password_travels_in_the_environment_only():
    from wuyou.core.backup.postgres import connection_arguments

    arguments, env = connection_arguments(
        {
            "NAME": "wuyou",
            "USER": "wuyou",
            "PASSWORD": "s3cret",
            "HOST": "db",
            "PORT": 5433,
            "OPTIONS": {"sslmode": "require", "pool": True},
        }
    )
    assert not [a for a in arguments if "s3cret" in a]
    assert env["PGPASSWORD"] == "s3cret" and env["PGSSLMODE"] == "require"
    assert arguments[arguments.index("--host") + 1] == "db" and arguments[arguments.index("--port") + 1] == "5433"
    assert arguments[arguments.index("--dbname") + 1] == "wuyou" and "--no-password" in arguments


# -- PostgreSQL ------------------------------------------------------------------------------------


def _postgres_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 5432), timeout=2):
            return True
    except OSError:
        return False


@pytest.fixture
def scratch_databases():
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump/pg_restore are not on PATH (apt-get install postgresql-client)")
    if not _postgres_answers():
        pytest.skip("no PostgreSQL answers on 127.0.0.1:5432")
    import psycopg

    names = [f"wuyou_backup_src_{os.getpid()}", f"wuyou_backup_dst_{os.getpid()}"]
    try:
        admin = psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True)
    except psycopg.Error as error:
        pytest.skip(f"PostgreSQL on 127.0.0.1:5432 refuses {PG_SERVER}: {error}")
    try:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        yield [f"{PG_SERVER}/{name}" for name in names]
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def test_postgres_backup_restores_every_row_into_a_fresh_database(scratch_databases: list[str], tmp_path: Path):
    source_url, target_url = scratch_databases
    source = environment(tmp_path / "source", source_url)
    target = environment(tmp_path / "target", target_url)
    loaded = wuyou(*DEMO, env=source)
    assert loaded.returncode == 0, loaded.stderr
    before = snapshot(source)
    # When backed up with the command and restored into a fresh, empty database
    dump = tmp_path / "wuyou.dump"
    backed = wuyou("backup", "--output", str(dump), env=source)
    assert backed.returncode == 0, backed.stderr
    assert str(dump) in backed.stdout and dump.read_bytes().startswith(b"PGDMP")
    assert f"{sum(before['tables'].values())} " in backed.stdout  # the rows of pg_dump's own snapshot
    restored = wuyou("restore", str(dump), env=target)
    assert restored.returncode == 0, restored.stderr
    # Then every model has the same rows
    assert_same_data(before, snapshot(target))
    # And a database with data is not replaced without --yes; a file that is no dump is refused
    assert_refused(wuyou("restore", str(dump), env=source), 3, "--yes")
    garbage = tmp_path / "garbage.dump"
    garbage.write_bytes(os.urandom(4096))
    assert_refused(wuyou("restore", str(garbage), env=target), 2, garbage)
    sqlite_file = tmp_path / "wuyou.sqlite3"
    with sqlite3.connect(sqlite_file) as db:
        db.execute("CREATE TABLE django_migrations (id integer)")
    db.close()
    assert_refused(wuyou("restore", str(sqlite_file), env=target), 2, sqlite_file, "SQLite")
    # With --yes it is replaced (pg_restore --clean), and still holds the same rows
    again = wuyou("restore", str(dump), "--yes", env=target)
    assert again.returncode == 0, again.stderr
    assert snapshot(target)["tables"] == before["tables"]
