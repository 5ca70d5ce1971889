"""CSV exports (the reliability bar): formula injection escaped, numbers kept, Chinese readable in Excel."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from wuyou.core.exports import csv_cell, csv_response, csv_text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+86 138", "'+86 138"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("王秀英", "王秀英"),
        (Decimal("-12.50"), "-12.50"),  # an amount stays a number
        (-3, "-3"),
        (None, ""),
        (True, "1"),
    ],
)
def test_each_cell_is_safe_to_open(value, cell):
    assert csv_cell(value) == cell


def test_the_file_reads_back_with_its_chinese_and_escapes():
    text = csv_text(["客户", "满意度"], [["=cmd|' /C calc'!A0", Decimal("0.93")], ["李建国", None]])
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows == [["客户", "满意度"], ["'=cmd|' /C calc'!A0", "0.93"], ["李建国", ""]]


def test_the_download_has_a_plain_file_name():
    response = csv_response("../满意度 2026-11.csv", ["a"], [[1]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="2026-11.csv"'
