"""The `wuyou` command line speaks one language and documents its own commands (issue 13 item 12)."""

from __future__ import annotations

import pytest
from django.utils import translation

from wuyou import cli


@pytest.fixture
def recorded(monkeypatch) -> list[tuple[str, ...]]:
    """Django management calls made by the CLI, recorded instead of run, with the language active at each."""
    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(cli, "pending_migrations", lambda: 0)
    monkeypatch.setattr(cli, "manage", lambda *args: calls.append((translation.get_language(), *args)))
    return calls


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({"LANG": "zh_CN.UTF-8"}, "zh-hans"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LC_ALL": "zh_TW.UTF-8", "LANG": "en_US.UTF-8"}, "zh-hans"),
        ({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"}, "en"),
        ({}, "en"),
    ],
)
def test_the_default_language_comes_from_the_environment(environ, language):
    assert cli.language_from_environment(environ) == language


def test_every_subcommand_runs_in_the_chosen_language(recorded, monkeypatch):
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    cli.main(["--language", "zh-hans", "manage", "check"])
    cli.main(["manage", "check"])
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    cli.main(["--language=en", "migrate"])
    assert [call[:2] for call in recorded] == [
        ("zh-hans", "check"),
        ("en", "check"),
        ("en", "migrate"),
        ("en", "createcachetable"),
    ]


def test_fees_quote_explains_in_the_command_lines_language(recorded):
    cli.main(["--language", "zh-hans", "fees", "quote", "--serial", "S1"])
    assert recorded[-1] == ("zh-hans", "fees", "quote", "--serial", "S1", "--language", "zh-hans")
    cli.main(["--language", "zh-hans", "fees", "quote", "--serial", "S1", "--language", "en"])
    assert recorded[-1][-2:] == ("--language", "en"), "an explicit choice stays"


def test_an_unknown_language_is_refused_naming_the_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--language", "fr", "migrate"])
    assert exit_.value.code == 2
    assert "--language" in capsys.readouterr().err


def test_calendar_answers_and_errors_in_one_language(capsys, db, monkeypatch):
    monkeypatch.setattr(cli, "prepare_database", lambda: None)  # the test database is migrated already
    assert cli.main(["--language", "en", "calendar", "add-workdays", "2026-13-01", "3"]) == 2
    english = capsys.readouterr().err
    assert english.startswith("wuyou calendar: date: ") and "YYYY-MM-DD" in english
    assert cli.main(["--language", "zh-hans", "calendar", "add-workdays", "2026-13-01", "3"]) == 2
    chinese = capsys.readouterr().err
    assert chinese.startswith("wuyou calendar: ") and "date" not in chinese and "YYYY-MM-DD" in chinese
    assert cli.main(["--language", "en", "calendar", "add-workdays", "2026-03-02", "lots"]) == 2
    assert capsys.readouterr().err.startswith("wuyou calendar: working days: ")


def test_demo_help_is_wuyous_own(recorded, capsys):
    assert cli.main(["demo", "--help"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: wuyou demo")
    assert "--customers" in out and "--new-token" in out and "--port" in out and "wuyou demo totp" in out
    for generic in ("--pythonpath", "--settings", "--traceback", "--verbosity", "--no-color", "--skip-checks"):
        assert generic not in out, generic
    assert "load_demo" not in out and recorded == []


def test_sweep_help_is_wuyous_own(recorded, capsys):
    assert cli.main(["sweep", "-h"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: wuyou sweep") and "--once" in out and "--pythonpath" not in out


@pytest.mark.parametrize(("topic", "expected"), [("demo", "usage: wuyou demo"), ("serve", "usage: wuyou serve")])
def test_wuyou_help_prints_a_commands_help(recorded, capsys, topic, expected):
    assert cli.main(["help", topic]) == 0
    out = capsys.readouterr().out
    assert out.startswith(expected)


def test_wuyou_help_alone_lists_the_commands_and_the_language_option(capsys):
    assert cli.main(["help"]) == 0
    out = capsys.readouterr().out
    assert "--language {zh-hans,en}" in out and "serve" in out and "help" in out


def test_wuyou_help_of_a_django_command_is_djangos_help(recorded):
    # `wuyou manage` says "Type 'wuyou help <subcommand>'": that works
    assert cli.main(["help", "check"]) == 0
    assert recorded[-1][1:] == ("help", "check")


def test_the_help_speaks_the_chosen_language(capsys, monkeypatch):
    monkeypatch.setattr(cli, "SUBCOMMANDS", dict(cli.SUBCOMMANDS))
    cli.subcommand("hello", translation.gettext_lazy("Day"))(lambda args: 0)  # a string with a translation
    with pytest.raises(SystemExit):
        cli.main(["--language", "zh-hans", "--help"])
    chinese = capsys.readouterr().out
    with pytest.raises(SystemExit):
        cli.main(["--language", "en", "--help"])
    english = capsys.readouterr().out
    assert "Day" in english and "Day" not in chinese
