"""The customer pages: the console and the record (archive.py), anonymisation (anonymisation.py), editing and
merging (edit.py). URLs import from here."""

from wuyou.customers.views.anonymisation import (
    anonymisation_decide,
    anonymisation_list,
    customer_anonymise_request,
)
from wuyou.customers.views.archive import (
    PhoneShown,
    address_place,
    console,
    customer_detail,
    customer_new,
    customer_note,
    customer_reveal,
    customer_timeline,
    phones_shown,
)
from wuyou.customers.views.edit import (
    customer_edit,
    customer_merge,
)

__all__ = [
    "PhoneShown",
    "address_place",
    "anonymisation_decide",
    "anonymisation_list",
    "console",
    "customer_anonymise_request",
    "customer_detail",
    "customer_edit",
    "customer_merge",
    "customer_new",
    "customer_note",
    "customer_reveal",
    "customer_timeline",
    "phones_shown",
]
