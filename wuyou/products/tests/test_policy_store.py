"""R-B3, R-B4: policies stored as data, loaded from and exported to YAML, chosen per unit."""

from __future__ import annotations

import datetime as dt
import textwrap
from importlib import import_module

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from tests.factories import CategoryFactory, ProductModelFactory, UnitFactory
from wuyou.core.errors import PermissionDenied, ValidationFailed
from wuyou.products import selectors, services
from wuyou.products.models import WarrantyPolicy
from wuyou.products.policy import NATIONAL_THREE_GUARANTEES, policy_from_dict

AIR_CONDITIONER = textwrap.dedent(
    """\
    policies:
      - code: ac-2026
        name: 空调保修政策
        applies_to: {kind: category, code: air-conditioner}
        versions:
          - label: ac-2026
            valid_from: 2026-01-01
            valid_until: null
            rules:
              - {kind: return_within_days, days: 7}
              - {kind: exchange_within_days, days: 15}
              - {kind: free_repair, months: 12}
              - {kind: free_repair, months: 60, component: compressor}
              - kind: out_of_warranty
                age_fractions: [{from_years: 4, fraction: "0.5"}]
      - code: watch-x1
        name: 手表 X1
        applies_to: {kind: product_model, code: WATCH-X1}
        versions:
          - label: v1
            valid_from: 2025-01-01
            rules:
              - {kind: return_within_days, days: 10}
              - {kind: free_consumable, part_pattern: "BAT-*"}
    """
)


def install_sanbao() -> None:
    """Run the data migration's function (tests run without migrations)."""
    import_module("wuyou.products.migrations.0003_install_sanbao").install_sanbao(apps, None)


@pytest.fixture
def catalogue(db):
    install_sanbao()
    category = CategoryFactory(code="air-conditioner")
    return {
        "ac": ProductModelFactory(code="KFR-35GW", category=category),
        "watch": ProductModelFactory(code="WATCH-X1", category=CategoryFactory(code="watch", name="手表")),
        "other": ProductModelFactory(code="TV-55", category=CategoryFactory(code="tv", name="电视")),
    }


def test_sanbao_is_installed_as_the_default_policy_by_migration(db):
    install_sanbao()
    install_sanbao()  # re-running it changes nothing
    row = WarrantyPolicy.objects.get(code="cn-sanbao")
    assert row.applies_to_kind == "default" and row.is_active
    assert policy_from_dict(row.document) == NATIONAL_THREE_GUARANTEES


def test_load_then_export_round_trips(network, catalogue):
    # Given a file with two policies, when a service manager loads it
    stored = services.policy_load(actor=network.actor(network.manager), text=AIR_CONDITIONER)
    # then both are stored, and the export reads back to the same policies
    assert [p.code for p in stored] == ["ac-2026", "watch-x1"]
    exported = services.policy_export()
    WarrantyPolicy.objects.all().delete()
    services.policy_load(actor=network.actor(network.manager), text=exported)
    assert sorted(WarrantyPolicy.objects.values_list("code", flat=True)) == ["ac-2026", "cn-sanbao", "watch-x1"]
    assert services.policy_export() == exported


def test_loading_again_updates_in_place(network, catalogue):
    services.policy_load(actor=network.actor(network.manager), text=AIR_CONDITIONER)
    services.policy_load(actor=network.actor(network.manager), text=AIR_CONDITIONER.replace("days: 10", "days: 14"))
    watch = WarrantyPolicy.objects.get(code="watch-x1")
    assert watch.document["versions"][0]["rules"][0]["days"] == 14
    assert WarrantyPolicy.objects.count() == 3


@pytest.mark.parametrize(
    ("replace", "by", "path"),
    [
        ("kind: free_consumable", "kind: free_lunch", "policies[1].versions[0].rules[1].kind"),
        ("valid_from: 2025-01-01", "valid_from: 2025-01-01\n        dayz: 3", "policies[1].versions[0].dayz"),
        ("code: WATCH-X1", "code: NOPE-9", "policies[1].applies_to.code"),
    ],
)
def test_a_bad_file_names_the_path_and_writes_nothing(network, catalogue, replace, by, path):
    with pytest.raises(ValidationFailed) as refused:
        services.policy_load(actor=network.actor(network.manager), text=AIR_CONDITIONER.replace(replace, by))
    assert path in refused.value.errors
    assert not WarrantyPolicy.objects.exclude(code="cn-sanbao").exists()  # the good policy was not stored either


def test_overlapping_versions_are_refused(network, catalogue):
    # Given a watch policy whose first version runs to mid-2025, past the second version's start
    earlier = "      - {label: v0, valid_from: 2024-01-01, valid_until: 2025-06-30, rules: []}\n"
    text = AIR_CONDITIONER.replace("      - label: v1\n", earlier + "      - label: v1\n")
    with pytest.raises(ValidationFailed) as refused:
        services.policy_load(actor=network.actor(network.manager), text=text)
    assert "policies[1].versions[1].valid_from" in refused.value.errors
    assert "overlaps" in refused.value.errors["policies[1].versions[1].valid_from"]
    assert not WarrantyPolicy.objects.exclude(code="cn-sanbao").exists()


def test_yaml_syntax_error_gives_line_and_column(network, catalogue):
    with translation.override("en"), pytest.raises(ValidationFailed) as refused:  # the test reads the English text
        services.policy_load(actor=network.actor(network.manager), text="code: [unclosed\nname: x\n")
    assert refused.value.field == "file" and "line " in refused.value.message and "column " in refused.value.message


def test_a_second_default_policy_is_refused(network, catalogue):
    text = "code: other-default\nname: x\nversions: [{label: a, valid_from: 2020-01-01, rules: []}]\n"
    with pytest.raises(ValidationFailed) as refused:
        services.policy_load(actor=network.actor(network.manager), text=text)
    assert "applies_to" in refused.value.errors


@pytest.mark.parametrize("who", ["clerk_a", "hq_clerk", "engineer_a", "outlet_manager_a"])
def test_only_admin_or_service_manager_may_load(network, catalogue, who):
    with pytest.raises(PermissionDenied):
        services.policy_load(actor=network.actor(getattr(network, who)), text=AIR_CONDITIONER)


def test_switching_a_policy_off_goes_through_the_service_and_is_audited(network, catalogue, caplog):
    (ac, _watch) = services.policy_load(actor=network.actor(network.manager), text=AIR_CONDITIONER)
    with pytest.raises(PermissionDenied):
        services.policy_switch_off(actor=network.actor(network.clerk_a), policy=ac)
    assert WarrantyPolicy.objects.get(code="ac-2026").is_active is True
    with caplog.at_level("INFO", logger="wuyou.audit"):
        services.policy_switch_off(actor=network.actor(network.manager), policy=ac)
    assert WarrantyPolicy.objects.get(code="ac-2026").is_active is False
    assert any("policy switched off" in r.getMessage() and "ac-2026" in r.getMessage() for r in caplog.records)


def test_policy_for_unit_prefers_model_then_category_then_default(network, catalogue):
    services.policy_load(actor=network.actor(network.manager), text=AIR_CONDITIONER)
    purchased = dt.date(2026, 1, 10)
    assert selectors.policy_for_unit(UnitFactory(product_model=catalogue["watch"], purchase_date=purchased)).code == (
        "watch-x1"
    )
    assert selectors.policy_for_unit(UnitFactory(product_model=catalogue["ac"], purchase_date=purchased)).code == (
        "ac-2026"
    )
    assert selectors.policy_for_unit(UnitFactory(product_model=catalogue["other"], purchase_date=purchased)).code == (
        "cn-sanbao"
    )


def test_policy_command_loads_and_exports(network, catalogue, tmp_path, capsys):
    path = tmp_path / "policies.yaml"
    path.write_text(AIR_CONDITIONER, encoding="utf-8")
    call_command("policy", "load", str(path))
    assert WarrantyPolicy.objects.filter(code="ac-2026").exists()
    call_command("policy", "export")
    assert "code: watch-x1" in capsys.readouterr().out


def test_policy_command_refuses_a_bad_file_naming_the_path(network, catalogue, tmp_path, capsys):
    path = tmp_path / "policies.yaml"
    path.write_text(AIR_CONDITIONER.replace("free_consumable", "free_lunch"), encoding="utf-8")
    with pytest.raises(CommandError):
        call_command("policy", "load", str(path))
    assert "policies[1].versions[0].rules[1].kind" in capsys.readouterr().err


def test_every_example_in_the_docs_is_a_valid_policy():
    import re
    from pathlib import Path

    import yaml

    text = (Path(__file__).resolve().parents[3] / "docs" / "policies.md").read_text(encoding="utf-8")
    codes = []
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        for document in yaml.safe_load_all(block):
            codes += [policy_from_dict(d).code for d in document.get("policies", [document])]
    assert codes == ["ac-2026", "cn-sanbao", "watch-x1", "tv-2026"]
