"""Issue 11's cut (ADR 0004), run on real rows: the demo as it was at the old migration heads is loaded into the
historical models of that state, then migrated to today's heads; every row, key and content type must survive.

The suite runs with `--no-migrations` (its schema is built by syncdb), so this test builds its own: it drops the
syncdb tables, migrates from nothing to the old heads, loads the fixture, migrates to the leaf nodes, and checks
at the end that the schema is the one syncdb made, so the tests after it run on the tables they expect.

The fixture, `fixtures/demo_before_issue_11.json.gz`, is `manage.py dumpdata --exclude contenttypes --exclude
auth.permission --exclude sessions --exclude admin.logentry` of the demo made by the code before issue 11.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps as global_apps
from django.contrib.auth import get_user_model
from django.contrib.auth.management import create_permissions
from django.contrib.contenttypes.management import create_contenttypes
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import connection, models, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder

FIXTURE = Path(__file__).parent / "fixtures" / "demo_before_issue_11.json.gz"

# The last migration before the cut, and the models that left dispatch (for their new app).
OLD_DISPATCH = ("dispatch", "0004_fee_quotes")
CUT = ("dispatch", "0005_parts_loaners_fees_moved_out")
# Migrations written after the old demo was dumped that do not lean on the cut: they run over its rows here.
AFTER_THE_DUMP = {("customers", "0002_timeline_written_at")}
MOVED = {
    "part": "parts",
    "stockplace": "parts",
    "requisition": "parts",
    "requisitionline": "parts",
    "stockmove": "parts",
    "stockbalance": "parts",
    "loanerunit": "loaners",
    "takeback": "loaners",
    "loan": "loaners",
    "feequote": "fees",
}


def current_label(label: str) -> str:
    """`dispatch.part` is `parts.part` today; every other label is unchanged."""
    app_label, model_name = label.split(".")
    if app_label == "dispatch" and model_name in MOVED:
        return f"{MOVED[model_name]}.{model_name}"
    return label


def schema_snapshot() -> dict[str, Any]:
    """Tables, their columns and their constraints (by what they do, not by name): enough to tell schemas apart."""
    snapshot: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table == MigrationRecorder.Migration._meta.db_table:
                continue
            columns = sorted(
                (c.name, str(c.type_code), bool(c.null_ok))
                for c in connection.introspection.get_table_description(cursor, table)
            )
            constraints = sorted(
                repr(
                    (
                        tuple(c["columns"] or ()),
                        c["primary_key"],
                        c["unique"],
                        c["foreign_key"],
                        c["check"],
                        c["index"],
                    )
                )
                for c in connection.introspection.get_constraints(cursor, table).values()
            )
            snapshot[table] = (columns, constraints)
    return snapshot


def drop_every_table() -> None:
    """Empty the database of the syncdb schema: every model's table (with its many-to-many tables) goes."""
    with connection.schema_editor() as editor:
        for model in global_apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                editor.delete_model(model)
    if MigrationRecorder(connection).has_table():
        MigrationRecorder(connection).flush()
    left = connection.introspection.django_table_names(only_existing=True)  # the cache's table is no model's: kept
    assert not left, f"tables left after dropping the syncdb schema: {sorted(left)}"


def old_heads(executor: MigrationExecutor) -> list[tuple[str, str]]:
    """Each app's latest migration the old demo was dumped under: none that leans on the cut or comes later (a
    later one, e.g. customers 0002, must migrate the old rows too), and dispatch just before the cut."""
    graph = executor.loader.graph

    def old(node: tuple[str, str]) -> bool:
        plan = set(graph.forwards_plan(node))
        return CUT not in plan and not plan & AFTER_THE_DUMP

    targets = set()
    for leaf in graph.leaf_nodes():
        node: tuple[str, str] | None = leaf
        while node is not None and not old(node):
            same_app = [p.key for p in graph.node_map[node].parents if p.key[0] == node[0]]
            node = same_app[0] if same_app else None
        if node is not None:
            targets.add(node)
    return sorted(targets | {OLD_DISPATCH})


def load_into(state_apps: Any, objects: list[dict[str, Any]]) -> None:
    """Build each fixture object in the historical model from its field values and insert them, model by model."""
    by_label: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for obj in objects:
        by_label[obj["model"]].append(obj)
    with transaction.atomic():
        # The data migrations (default time limits, the 三包 policy) wrote rows the fixture holds too.
        with connection.cursor() as cursor:
            for label in by_label:
                model = state_apps.get_model(label)
                tables = [model._meta.db_table] + [
                    f.remote_field.through._meta.db_table for f in model._meta.local_many_to_many
                ]
                for table in tables:
                    cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
        for label, rows in by_label.items():
            model = state_apps.get_model(label)
            for field in model._meta.concrete_fields:  # keep the fixture's timestamps, not now
                if isinstance(field, models.DateField):
                    field.auto_now = field.auto_now_add = False
            instances = []
            links: dict[str, list[Any]] = defaultdict(list)
            for row in rows:
                pk = model._meta.pk.to_python(row["pk"])
                values: dict[str, Any] = {model._meta.pk.attname: pk}
                for name, raw in row["fields"].items():
                    field = model._meta.get_field(name)
                    if field.many_to_many:
                        through = field.remote_field.through
                        links[name] += [
                            through(**{f"{field.m2m_field_name()}_id": pk, f"{field.m2m_reverse_field_name()}_id": t})
                            for t in raw
                        ]
                    elif field.is_relation:
                        values[field.attname] = None if raw is None else field.target_field.to_python(raw)
                    elif isinstance(field, models.JSONField):
                        values[field.attname] = raw
                    else:
                        values[field.attname] = field.to_python(raw)
                instances.append(model(**values))
            model._base_manager.bulk_create(instances, batch_size=500)
            for name, through_rows in links.items():
                model._meta.get_field(name).remote_field.through._base_manager.bulk_create(through_rows)
        connection.check_constraints()  # every foreign key of the fixture points at a row


def serialised(model: type[models.Model]) -> dict[str, dict[str, Any]]:
    """Rows as dumpdata writes them, by primary key."""
    rows = json.loads(serializers.serialize("json", model._base_manager.order_by("pk")))
    return {str(row["pk"]): row["fields"] for row in rows}


@pytest.mark.django_db(transaction=True)
def test_the_cut_keeps_every_row_of_the_old_demo(settings):
    settings.MIGRATION_MODULES = {}  # pytest-django's --no-migrations hides them; this test runs them
    objects = json.loads(gzip.decompress(FIXTURE.read_bytes()))
    syncdb_schema = schema_snapshot()
    had_recorder = MigrationRecorder(connection).has_table()  # not under --no-migrations
    drop_every_table()
    try:
        # The old heads, the old demo in them, and a permission on a moved model granted to someone.
        executor = MigrationExecutor(connection)
        targets = old_heads(executor)
        assert ("parts", "0001_initial") not in targets and OLD_DISPATCH in targets
        executor.migrate(targets)
        old_apps = executor.loader.project_state(targets).apps
        assert old_apps.get_model("dispatch", "Part")._meta.db_table == "dispatch_part"
        load_into(old_apps, objects)
        for app_config in global_apps.get_app_configs():  # each made from the old state's models
            create_contenttypes(app_config, verbosity=0, apps=old_apps)
            create_permissions(app_config, verbosity=0, apps=old_apps)
        old_content_type = old_apps.get_model("contenttypes", "ContentType")
        moved_ids = {name: old_content_type.objects.get(app_label="dispatch", model=name).pk for name in MOVED}
        change_part = old_apps.get_model("auth", "Permission").objects.get(
            content_type_id=moved_ids["part"], codename="change_part"
        )
        old_apps.get_model("auth", "User").objects.get(pk=1).user_permissions.add(change_part)

        # Today's heads.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
        executor.loader.build_graph()  # read what is applied now
        assert not executor.migration_plan(executor.loader.graph.leaf_nodes())

        expected = expected_rows(objects)
        expected["auth.user"]["1"]["user_permissions"] = [change_part.pk]
        assert_parts_used_read_from_the_ledger(expected)
        expect_timeline_written_at(expected)
        expect_orphan_callback_clocks_moot(expected)
        assert_every_row_found(expected)
        assert_foreign_keys_reach(expected)
        assert_content_types_moved(moved_ids)
        migrated_schema = schema_snapshot()
    finally:
        ContentType.objects.clear_cache()  # the flush after this test makes them anew, with other ids
        restore_syncdb_schema(had_recorder)

    # The migrations make the tables syncdb makes from today's models (but for Django's own auth link ids), and
    # the tests after this one find exactly the syncdb schema they expect.
    assert auth_link_ids_aside(migrated_schema) == auth_link_ids_aside(syncdb_schema)
    assert schema_snapshot() == syncdb_schema


def auth_link_ids_aside(snapshot: dict[str, Any]) -> dict[str, Any]:
    """Django's own difference: auth's many-to-many tables get a bigint `id` from migrations (the historical models
    take DEFAULT_AUTO_FIELD) but an integer one from syncdb (auth's AutoField). None of our tables is concerned."""
    result = dict(snapshot)
    for table in ("auth_group_permissions", "auth_user_groups", "auth_user_user_permissions"):
        columns, constraints = result[table]
        result[table] = ([(n, "id" if n == "id" else t, null) for n, t, null in columns], constraints)
    return result


def expected_rows(objects: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """The fixture's rows under today's labels, by primary key."""
    expected: dict[str, dict[str, dict[str, Any]]] = defaultdict(dict)
    for obj in objects:
        expected[current_label(obj["model"])][str(obj["pk"])] = obj["fields"]
    return expected


def column_added_after_the_dump(model: type[models.Model], name: str, found_row: dict[str, Any]) -> Any:
    """What a column added after the old demo was dumped holds for an old row: its default, or what its migration
    worked out (the inbox copy of a message: notifications 0002 decides per fan-out, checked in its own tests)."""
    if (model._meta.label_lower, name) == ("notifications.message", "inbox"):
        return found_row[name]
    return model._meta.get_field(name).get_default()


def assert_every_row_found(expected: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Every row of every model, through today's model, field for field as the old demo had it (a column added
    since holds its default)."""
    for label, rows in expected.items():
        model = global_apps.get_model(label)
        assert model._base_manager.count() == len(rows), label
        found = serialised(model)
        for pk, fields in rows.items():
            for name in found.get(pk, {}).keys() - fields.keys():
                fields[name] = column_added_after_the_dump(model, name, found[pk])
        assert found.keys() == rows.keys(), label
        differing = [pk for pk, fields in rows.items() if found[pk] != fields]
        assert not differing, f"{label}: rows {differing[:5]} differ"


def assert_parts_used_read_from_the_ledger(expected: dict[str, dict[str, dict[str, Any]]]) -> None:
    """The visit's JSON copy of its parts is gone (dispatch 0006): what it said is what the ledger says now."""
    from wuyou.dispatch.models import WorkOrder

    copies = {pk: fields.pop("parts_used") for pk, fields in expected["dispatch.workorder"].items()}
    assert any(copies.values()), "the old demo recorded parts on some visit"
    for visit in WorkOrder.objects.filter(pk__in=[int(pk) for pk in copies]).prefetch_related("stock_moves__part"):
        assert visit.parts_used == copies[str(visit.pk)], visit.number


def expect_timeline_written_at(expected: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Customers 0002: a line about a request is written at the request's outlet, any other at its writer's."""
    request_outlet = {pk: f["outlet"] for pk, f in expected["tickets.servicerequest"].items()}
    staff_outlet = {f["user"]: f["outlet"] for f in expected["accounts.staffprofile"].values()}
    for fields in expected["customers.timelineentry"].values():
        about_request = fields["ref_kind"] == "request"
        fields["outlet"] = (
            request_outlet.get(str(fields["ref_id"])) if about_request else staff_outlet.get(fields["actor"])
        )
    assert any(f["outlet"] for f in expected["customers.timelineentry"].values())
    assert any(f["outlet"] is None for f in expected["customers.timelineentry"].values())


def expect_orphan_callback_clocks_moot(expected: dict[str, dict[str, dict[str, Any]]]) -> None:
    """Quality 0002/0003: a callback rings when it was due; a callback clock no pending callback owns became moot
    (its request's "due" is the nearest running clock left), stopped at the migration's time."""
    from wuyou.tickets.models import RequestClock

    for fields in expected.get("quality.callback", {}).values():
        fields["call_at"] = fields["due_at"]
    owned = {f["request"] for f in expected.get("quality.callback", {}).values() if f["status"] == "pending"}
    found = serialised(RequestClock)
    orphans = [
        (pk, f)
        for pk, f in expected["tickets.requestclock"].items()
        if f["step"] == "callback_due" and f["state"] != "stopped" and f["request"] not in owned
    ]
    assert orphans, "the old demo had callback clocks started by resolving alone"
    for pk, fields in orphans:
        fields.update(state="stopped", outcome="moot", next_action_at=None, paused_at=None)
        fields["stopped_at"] = found[pk]["stopped_at"]
    for request in {f["request"] for _pk, f in orphans}:
        running = [
            f["due_at"]
            for f in expected["tickets.requestclock"].values()
            if f["request"] == request and f["state"] == "running"
        ]
        expected["tickets.servicerequest"][str(request)]["due_at"] = min(
            running, key=lambda due: dt.datetime.fromisoformat(due.replace("Z", "+00:00")), default=None
        )


def assert_foreign_keys_reach(expected: dict[str, dict[str, dict[str, Any]]]) -> None:
    """The moved models' foreign keys still reach their rows, both ways across the cut."""
    from wuyou.dispatch.models import WorkOrder
    from wuyou.fees.models import FeeQuote
    from wuyou.loaners.models import Loan
    from wuyou.parts.models import StockMove

    work_orders = set(WorkOrder.objects.values_list("pk", flat=True))
    moves = StockMove.objects.filter(work_order__isnull=False).select_related("work_order", "part", "place")
    assert moves.exists()
    assert {m.work_order_id for m in moves} <= work_orders
    assert all(m.work_order is not None and m.work_order.number and m.part.code and m.place.kind for m in moves)
    quotes = FeeQuote.objects.select_related("work_order")
    assert quotes.count() == len(expected["fees.feequote"])
    assert all(q.number.startswith(q.work_order.number or "?") for q in quotes)
    loans = Loan.objects.select_related("loaner", "work_order")
    assert loans.count() == len(expected["loaners.loan"])
    assert all(loan.loaner.serial and loan.work_order.number for loan in loans)


def assert_content_types_moved(moved_ids: dict[str, int]) -> None:
    """The content types changed app, not id: the permission granted on dispatch.part is now parts'."""
    ContentType.objects.clear_cache()
    for name, app_label in MOVED.items():
        assert ContentType.objects.get(app_label=app_label, model=name).pk == moved_ids[name], name
    assert not ContentType.objects.filter(app_label="dispatch", model__in=list(MOVED))
    assert get_user_model().objects.get(pk=1).has_perm("parts.change_part")


def drop_recorder(had_recorder: bool) -> None:
    """The migration history table goes again when syncdb had made none: the database is left as it was found."""
    if not had_recorder and MigrationRecorder(connection).has_table():
        with connection.schema_editor() as editor:
            editor.delete_model(MigrationRecorder.Migration)


def restore_syncdb_schema(had_recorder: bool) -> None:
    """Put the syncdb schema back (empty), whatever happened: the tests after this one run on it."""
    with connection.schema_editor() as editor:
        for table in connection.introspection.django_table_names(only_existing=True):
            editor.execute(editor.sql_delete_table % {"table": editor.quote_name(table)})
        for model in global_apps.get_models():
            if model._meta.managed and not model._meta.proxy:
                editor.create_model(model)
    drop_recorder(had_recorder)
