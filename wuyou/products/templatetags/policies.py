"""`{{ line.rule|rule_label }}`: the rule that priced a quote line, named in the reader's language."""

from __future__ import annotations

from django import template

from wuyou.products.explanations import rule_label as _rule_label

register = template.Library()


@register.filter
def rule_label(kind: str | None) -> str:
    """`out_of_warranty` → 保外 / "out of warranty"; "" for none."""
    return _rule_label(kind) if kind else ""
