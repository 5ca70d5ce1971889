from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django_tasks_db.apps import TasksAppConfig


class CoreConfig(AppConfig):
    name = "wuyou.core"
    label = "core"
    verbose_name = _("Core")


class BackgroundTasksConfig(TasksAppConfig):
    """django-tasks' database backend under a name people read in the admin (not "Tasks Database Backend")."""

    verbose_name = _("Background tasks")  # type: ignore[assignment]  # a lazy translation, as Django's apps use

    def ready(self) -> None:
        super().ready()
        from django_tasks_db.models import DBTaskResult

        def task_result_str(result: DBTaskResult) -> str:  # not "DBTaskResult object (…)" in the admin's titles
            return f"{result.task_name} · {result.get_status_display()}"

        DBTaskResult.__str__ = task_result_str  # type: ignore[method-assign,assignment]
