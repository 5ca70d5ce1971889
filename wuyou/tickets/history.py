"""Words for the events of a request's history, registered by the apps that write them.

tickets knows its own verbs; the apps above it (dispatch, fieldservice, fees, parts, loaners, quality) declare theirs
as TextChoices and register them in their AppConfig.ready(), so tickets never spells another app's verb (ADR 0004).
"""

from __future__ import annotations

from collections.abc import Mapping

from django.db import models
from django.utils.functional import Promise

_LABELS: dict[str, str | Promise] = {}


def history_labels_register(labels: type[models.TextChoices] | Mapping[str, str | Promise]) -> None:
    """Add the labels of an app's event verbs (a TextChoices, or a verb → label mapping)."""
    if isinstance(labels, type) and issubclass(labels, models.TextChoices):
        _LABELS.update({member.value: member.label for member in labels})
    else:
        _LABELS.update(labels)


def history_label(verb: str) -> str:
    """The verb in the reader's language; a verb nobody registered reads as itself."""
    label = _LABELS.get(verb)
    return str(label) if label is not None else verb
