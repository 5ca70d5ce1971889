"""R-A1: phones are validated in mainland formats and stored normalised."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wuyou.core.masking import mask_name, mask_phone
from wuyou.core.phones import InvalidPhone, parse_phone, phone_search_key


@pytest.mark.parametrize(
    ("text", "number", "kind"),
    [
        ("13812341234", "13812341234", "mobile"),
        ("+86 138 1234 1234", "13812341234", "mobile"),
        ("0086-19912345678", "19912345678", "mobile"),
        ("0532-88886666", "0532-88886666", "landline"),
        ("053288886666", "0532-88886666", "landline"),
        ("010 6512 3456", "010-65123456", "landline"),
        ("(021)1234567", "021-1234567", "landline"),
        ("0755-2345678", "0755-2345678", "landline"),
    ],
)
def test_valid_numbers_are_normalised(text, number, kind):
    phone = parse_phone(text)
    assert (phone.number, phone.kind) == (number, kind)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "12812341234",
        "1381234123",
        "138123412345",
        "abc13812341234",
        "0532-888",
        "88886666",
        "01-12345678",
        "１３８１２３４１２３４",
        "138-1234-12a4",
        "00000000000",
    ],
)
def test_malformed_numbers_are_refused(text):
    with pytest.raises(InvalidPhone):
        parse_phone(text)


def test_search_key_is_none_for_non_phone_text():
    assert phone_search_key("王秀英") is None
    assert phone_search_key("138 1234 1234") == "13812341234"


@pytest.mark.parametrize(
    ("number", "masked"),
    [("13812341234", "138****1234"), ("0532-88886666", "0532-****6666"), ("010-6512345", "010-***2345")],
)
def test_masking_keeps_prefix_and_last_four(number, masked):
    assert mask_phone(number) == masked


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_masked_mobile_never_shows_the_middle_digits(number):
    masked = mask_phone(number)
    assert masked[3:7] == "****" and masked[-4:] == number[-4:] and len(masked) == 11


def test_mask_name_keeps_family_name():
    assert mask_name("王秀英") == "王**"
