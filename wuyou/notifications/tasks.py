"""Background work for the outbox, run by django-tasks' `db_worker`."""

from __future__ import annotations

from django_tasks import task

from wuyou.notifications.services import outbox_deliver


@task()
def deliver_outbox() -> int:
    """Deliver due outbox messages; returns how many were sent. Chains itself while its time budget runs out."""
    report = outbox_deliver()
    if report.more_due:
        deliver_outbox_enqueue()
    return report.sent


def deliver_outbox_enqueue() -> bool:
    """Enqueue one `deliver_outbox` unless one is already waiting to start; True when a task was enqueued.

    A waiting (READY) task has not run its claim query yet, so it will see every message committed before this
    call: a second one would find nothing. This keeps a stopped worker from coming back to thousands of tasks.
    """
    if _delivery_waiting():
        return False
    deliver_outbox.enqueue()
    return True


def _delivery_waiting() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    if not isinstance(deliver_outbox.get_backend(), DatabaseBackend):
        return False  # other backends (immediate, dummy) have no queue to look at
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.ready().filter(task_path=deliver_outbox.module_path).exists()
