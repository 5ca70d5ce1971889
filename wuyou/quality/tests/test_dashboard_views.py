"""The /quality/ page and /api/v1/quality/ (issue 14 item 6, R-G2, R-G3, R-G7): tables with n, interval and verdict,
the chart's data, CSV export of every table with formula cells escaped, scope, bad input, and a pinned query count."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.test import Client

from tests.api_client import ApiClient
from wuyou.quality.tests.test_measured import QUARTER, day, world  # noqa: F401  (the fixture)

URL = "/quality/"
TABLES = ["satisfaction", "stratified", "rule_made", "response", "complaints", "onsite", "standards", "dimensions"]
QUARTER_QUERY = {"month_from": "2026-01", "month_to": "2026-03"}


def client_for(staff) -> Client:
    client = Client()
    client.force_login(staff.user)
    return client


@pytest.fixture
def figures(world, network):  # noqa: F811
    """Outlet A below 90 % with confidence (70 of 100), B met (290 of 300); B's engineer named like a formula."""
    network.engineer_b.display_name = "=HYPERLINK(1)"
    network.engineer_b.save()
    world.callbacks(network.outlet_a, network.engineer_a, satisfied=70, unsatisfied=30, unreachable=5)
    world.callbacks(network.outlet_b, network.engineer_b, satisfied=290, unsatisfied=10)
    world.callbacks(network.outlet_a, network.engineer_a, unsatisfied=2, reason="onsite_unsatisfied")
    world.clock(network.outlet_a, due=day(2), outcome="met")
    world.clock(network.outlet_b, due=day(2), outcome="missed")
    return world


def rows_of(response) -> list[list[str]]:
    text = response.content.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_manager_reads_rates_intervals_and_verdicts_by_outlet(figures, network):
    response = client_for(network.manager).get(URL, QUARTER_QUERY)
    assert response.status_code == 200
    page = response.content.decode()
    assert network.outlet_a.name in page and network.outlet_b.name in page
    assert 'data-verdict="below_with_confidence"' in page and 'data-verdict="met_with_confidence"' in page
    assert "Rule-made callbacks" in page or "规则" in page
    chart = response.context["chart"]
    assert chart["months"] == ["2026-01", "2026-02", "2026-03"]
    assert chart["rate"][2] == pytest.approx(90.0)  # (70 + 290) of 400 in March
    assert chart["low"][2] is not None and chart["band"][2] > 0
    assert 'id="satisfaction-chart-data"' in page and "vendor/echarts/echarts.min.js" in page


def test_the_page_query_count_is_pinned(figures, network, django_assert_max_num_queries):
    client = client_for(network.manager)
    client.get(URL, QUARTER_QUERY)  # warm the session
    # SQLite 13; PostgreSQL 17 (the callbacks' read runs in a savepoint with its planner setting set and reset).
    with django_assert_max_num_queries(17):
        assert client.get(URL, {**QUARTER_QUERY, "breakdown": "engineer"}).status_code == 200


@pytest.mark.parametrize("table", TABLES)
def test_every_table_exports_as_csv(figures, network, table):
    response = client_for(network.manager).get(URL, {**QUARTER_QUERY, "export": "csv", "table": table})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"quality-{table}-2026-01-2026-03.csv" in response["Content-Disposition"]
    assert rows_of(response)[0]  # a header at least


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_csv_cells_beginning_like_a_formula_are_escaped(figures, network, start):
    network.engineer_b.display_name = f"{start}cmd|' /C calc'!A0"
    network.engineer_b.save()
    response = client_for(network.manager).get(
        URL, {**QUARTER_QUERY, "breakdown": "engineer", "export": "csv", "table": "satisfaction"}
    )
    labels = [row[0] for row in rows_of(response)[1:]]
    assert f"'{start}cmd|' /C calc'!A0" in labels
    assert not any(label.startswith(start) for label in labels)


def test_satisfaction_csv_has_n_rate_interval_and_verdict(figures, network):
    response = client_for(network.manager).get(URL, {**QUARTER_QUERY, "export": "csv", "table": "satisfaction"})
    header, *rows = rows_of(response)
    assert len(header) == 6
    by_outlet = {row[0]: row for row in rows}
    a = by_outlet[network.outlet_a.name]
    assert a[1:4] == ["100", "70", "70.0"] and a[4].startswith("60.")


def test_outlet_a_never_sees_outlet_b_in_page_csv_or_api(figures, network):
    client = client_for(network.outlet_manager_a)
    page = client.get(URL, QUARTER_QUERY).content.decode()
    assert network.outlet_a.name in page and network.outlet_b.name not in page
    for table in TABLES:
        exported = client.get(URL, {**QUARTER_QUERY, "export": "csv", "table": table}).content.decode("utf-8-sig")
        assert network.outlet_b.name not in exported and "HYPERLINK" not in exported
    api = ApiClient(staff=network.outlet_manager_a)
    for path in ("/quality/satisfaction", "/quality/complaints", "/quality/response-rate", "/quality/gaps"):
        for params in (QUARTER_QUERY, {**QUARTER_QUERY, "outlet_id": network.outlet_b.pk, "breakdown": "engineer"}):
            response = api.get(path, params)
            assert response.status_code == 200
            text = json.dumps(response.json(), ensure_ascii=False)
            assert network.outlet_b.name not in text and "HYPERLINK" not in text
    satisfaction = api.get("/quality/satisfaction", QUARTER_QUERY).json()
    assert [(r["label"], r["reached"]) for r in satisfaction["rows"]] == [(network.outlet_a.name, 100)]


@pytest.mark.parametrize("who", ["engineer_a", "clerk_a", "sales_rep_a"])
def test_roles_without_quality_get_403_on_the_page_and_empty_api_lists(figures, network, who):
    staff = getattr(network, who)
    assert client_for(staff).get(URL).status_code == 403
    response = ApiClient(staff=staff).get("/quality/satisfaction", QUARTER_QUERY)
    assert response.status_code == 200 and response.json()["rows"] == [] and response.json()["stratified"] == []


def test_nav_link_only_for_roles_that_read_quality(network):
    assert 'href="/quality/"' in client_for(network.manager).get("/requests/").content.decode()
    assert 'href="/quality/"' not in client_for(network.clerk_a).get("/requests/").content.decode()


def test_api_satisfaction_complaints_and_gaps(figures, network):
    api = ApiClient(staff=network.manager)
    body = api.get("/quality/satisfaction", QUARTER_QUERY).json()
    verdicts = {r["label"]: r["verdict"] for r in body["rows"]}
    assert verdicts == {network.outlet_a.name: "below_with_confidence", network.outlet_b.name: "met_with_confidence"}
    assert body["total"]["satisfaction"]["n"] == 400 and body["target"] == 0.9
    assert [r["key"] for r in body["rule_made"]] == ["onsite_unsatisfied"] and body["rule_made"][0]["verdict"] is None
    assert body["stratified"][0]["n"] == 400
    complaints = api.get("/quality/complaints", QUARTER_QUERY).json()
    assert (complaints["total"]["due"], complaints["total"]["met"], complaints["target"]) == (2, 1, 0.99)
    response = api.get("/quality/response-rate", QUARTER_QUERY).json()
    assert response["total"]["response"]["n"] == 405
    gaps = api.get("/quality/gaps", QUARTER_QUERY).json()
    assert {s["key"] for s in gaps["standards"]} >= {"first_response", "complaint_disposition", "on_site_in_window"}


def test_no_complaints_due_shows_no_rate(world, network):  # noqa: F811
    response = ApiClient(staff=network.manager).get("/quality/complaints", QUARTER_QUERY).json()
    assert response["total"]["due"] == 0 and response["total"]["rate"]["rate"] is None
    assert response["total"]["verdict"] == "not_yet_decidable"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month_from": "2026-04", "month_to": "2026-03"}, "month_from"),
        ({"month_from": "2026-13"}, "month_from"),
        ({"breakdown": "colour"}, "breakdown"),
        ({"outlet_id": 0}, "outlet_id"),
    ],
)
def test_api_bad_input_is_422_naming_the_field(network, params, field):
    response = ApiClient(staff=network.manager).get("/quality/satisfaction", params)
    assert response.status_code == 422
    assert field in {e["field"] for e in response.json()["errors"]}


def test_page_bad_month_is_422_with_the_field_error(network):
    response = client_for(network.manager).get(URL, {"month_from": "2026-04", "month_to": "2026-03"})
    assert response.status_code == 422
    assert response.context["form"].errors["month_from"]


def test_unknown_export_table_is_a_clear_422(network):
    response = client_for(network.manager).get(URL, {"export": "csv", "table": "salaries"})
    assert response.status_code == 422 and "satisfaction" in response.content.decode()
