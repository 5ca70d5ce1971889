"""Writes to the customer archive (archive.py) and anonymisation on request (anonymisation.py); import from here."""

from wuyou.customers.services.anonymisation import (
    anonymisation_request_decide,
    anonymisation_request_file,
    customer_anonymise,
)
from wuyou.customers.services.archive import (
    AddressInput,
    ContactWindowInput,
    CustomerInput,
    customer_create,
    customer_note_add,
    customer_reveal_phones,
    nearest_outlet,
    timeline_record,
)

__all__ = [
    "AddressInput",
    "ContactWindowInput",
    "CustomerInput",
    "anonymisation_request_decide",
    "anonymisation_request_file",
    "customer_anonymise",
    "customer_create",
    "customer_note_add",
    "customer_reveal_phones",
    "nearest_outlet",
    "timeline_record",
]
