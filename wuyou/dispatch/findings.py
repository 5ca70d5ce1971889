"""The plan checker's findings in the reader's language (issue 13 item 11).

`wuyou.routing` is a pure library: its checker (`plan_check`) writes findings in plain English with the plan's
keys, skill codes and clock times in seconds ("e12 lacks skills gas for job wo31", "starts at 16:47:43"). A
dispatcher reads them when a hand move is refused, so each kind of finding is read back here into a translated
sentence with the skill's name and the time as HH:MM; one this module does not know is shown as the checker
wrote it. Engineers' and work orders' keys are replaced by their names afterwards (dispatch.services.plans).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.utils.translation import gettext as _

from wuyou.accounts.models import Skill

_CLOCK = r"(-?\d+:\d{2}(?::\d{2})?)"
_KEY = r"(\S+?)"


def clock_text(checker_clock: str) -> str:
    """The checker's `h:mm[:ss]` from the plan day's midnight as HH:MM (to the minute; the next day as +1)."""
    negative = checker_clock.startswith("-")
    hours, minutes, *rest = (int(p) for p in checker_clock.lstrip("-").split(":"))
    total = hours * 60 + minutes + (1 if rest and rest[0] >= 30 else 0)
    if negative:
        return "-" + f"{total // 60:02d}:{total % 60:02d}"
    day, total = divmod(total, 24 * 60)
    text = f"{total // 60:02d}:{total % 60:02d}"
    return text if day == 0 else _("%(time)s the next day") % {"time": text}


def _skills(codes: str) -> str:
    wanted = [c.strip() for c in codes.split(",") if c.strip()]
    names = dict(Skill.objects.filter(code__in=wanted).values_list("code", "name"))
    return "、".join(names.get(c, c) for c in wanted)


def _lacks(m: re.Match[str]) -> str:
    return _("%(who)s does not have the skills %(job)s needs: %(skills)s") % {
        "who": m["who"],
        "job": m["job"],
        "skills": _skills(m["skills"]),
    }


def _leaves_early(m: re.Match[str]) -> str:
    return _("%(who)s would leave at %(at)s, before his shift starts at %(start)s") % {
        "who": m["who"],
        "at": clock_text(m["at"]),
        "start": clock_text(m["start"]),
    }


def _cannot_reach(m: re.Match[str]) -> str:
    return _("%(who)s cannot reach %(job)s by %(at)s: he is free only at %(free)s") % {
        "who": m["who"],
        "job": m["job"],
        "at": clock_text(m["at"]),
        "free": clock_text(m["free"]),
    }


def _outside_window(m: re.Match[str]) -> str:
    return _("%(job)s would start at %(at)s, outside its window %(start)s–%(end)s") % {
        "job": m["job"],
        "at": clock_text(m["at"]),
        "start": clock_text(m["start"]),
        "end": clock_text(m["end"]),
    }


def _off_pin(m: re.Match[str]) -> str:
    return _("%(job)s would start at %(at)s, more than %(minutes)s minutes from its pinned start %(pin)s") % {
        "job": m["job"],
        "at": clock_text(m["at"]),
        "minutes": m["minutes"],
        "pin": clock_text(m["pin"]),
    }


def _pinned_elsewhere(m: re.Match[str]) -> str:
    return _("%(job)s is pinned to %(pinned)s, not %(who)s") % {
        "job": m["job"],
        "pinned": m["pinned"],
        "who": m["who"],
    }


def _back_late(m: re.Match[str]) -> str:
    return _("%(who)s would be back at %(at)s, after his shift ends at %(end)s") % {
        "who": m["who"],
        "at": clock_text(m["at"]),
        "end": clock_text(m["end"]),
    }


def _cannot_be_back(m: re.Match[str]) -> str:
    return _("%(who)s cannot be back by %(at)s: he needs until %(needs)s") % {
        "who": m["who"],
        "at": clock_text(m["at"]),
        "needs": clock_text(m["needs"]),
    }


def _van_full(m: re.Match[str]) -> str:
    return _("%(who)s's van would carry %(load)s, more than it holds (%(capacity)s)") % {
        "who": m["who"],
        "load": m["load"],
        "capacity": m["capacity"],
    }


READERS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(rf"^(?P<who>{_KEY}) lacks skills (?P<skills>.+) for job (?P<job>\S+)$"), _lacks),
    (
        re.compile(rf"^(?P<who>{_KEY}) leaves at (?P<at>{_CLOCK}), before his shift starts at (?P<start>{_CLOCK})$"),
        _leaves_early,
    ),
    (
        re.compile(
            rf"^(?P<who>{_KEY}) cannot reach job (?P<job>\S+) by (?P<at>{_CLOCK}): he is free at (?P<free>{_CLOCK})"
            r" and needs \d+ s$"
        ),
        _cannot_reach,
    ),
    (
        re.compile(
            rf"^job (?P<job>\S+) starts at (?P<at>{_CLOCK}), outside its window (?P<start>{_CLOCK})-(?P<end>{_CLOCK})$"
        ),
        _outside_window,
    ),
    (
        re.compile(
            rf"^job (?P<job>\S+) starts at (?P<at>{_CLOCK}), more than (?P<minutes>\d+) min from its pinned start "
            rf"(?P<pin>{_CLOCK})$"
        ),
        _off_pin,
    ),
    (re.compile(r"^job (?P<job>\S+) is pinned to (?P<pinned>\S+) but planned for (?P<who>\S+)$"), _pinned_elsewhere),
    (
        re.compile(rf"^(?P<who>{_KEY}) is back at (?P<at>{_CLOCK}), after his shift ends at (?P<end>{_CLOCK})$"),
        _back_late,
    ),
    (
        re.compile(rf"^(?P<who>{_KEY}) cannot be back by (?P<at>{_CLOCK}): he needs until (?P<needs>{_CLOCK})$"),
        _cannot_be_back,
    ),
    (
        re.compile(rf"^(?P<who>{_KEY})'s van carries (?P<load>\d+), more than its capacity (?P<capacity>\d+)$"),
        _van_full,
    ),
]


def finding_text(finding: str) -> str:
    """One checker finding as a sentence in the reader's language (as written when its kind is unknown)."""
    for pattern, read in READERS:
        match = pattern.match(finding.strip())
        if match:
            return read(match)
    return finding


def findings_text(findings: str) -> str:
    """The checker's findings (joined by "; ") in the reader's language, joined by the language's separator."""
    return _("; ").join(finding_text(f) for f in findings.split("; ") if f.strip())
