"""Redacting the outbox when a person is anonymised (PIPL art. 47).

The outbox knows no customers: the app that queued messages about him names them by their `ref` (`request:12`) and
passes the redaction to apply; messages addressed to one of his numbers lose the address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.db.models import Q

from wuyou.notifications.models import Message

# Refs per IN list: well under SQLite's bound-parameter limit.
BATCH = 500
_SUBJECT_MAX = int(Message._meta.get_field("subject").max_length or 200)


def messages_redact(*, refs: Iterable[str], redact: Callable[[str], str], addresses: Iterable[str] = ()) -> int:
    """Redact the subject and body of the messages about `refs`, blank the address of those sent to `addresses`.

    Runs in the caller's transaction; a message on its way keeps its delivery state. Returns how many rows changed.
    """
    refs, addresses = list(dict.fromkeys(refs)), {a for a in addresses if a}
    conditions = [Q(ref__in=refs[i : i + BATCH]) for i in range(0, len(refs), BATCH)]
    if addresses:
        conditions.append(Q(address__in=sorted(addresses)))
    if not conditions:
        return 0
    where = conditions[0]
    for condition in conditions[1:]:
        where |= condition
    changed = 0
    for message in Message.objects.filter(where).only("pk", "subject", "body", "address"):
        subject, body = redact(message.subject)[:_SUBJECT_MAX], redact(message.body)
        address = "" if message.address in addresses else message.address
        if (subject, body, address) != (message.subject, message.body, message.address):
            Message.objects.filter(pk=message.pk).update(subject=subject, body=body, address=address)
            changed += 1
    return changed
