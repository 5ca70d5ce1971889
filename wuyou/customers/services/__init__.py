"""Writes to the customer archive (archive.py, edit.py), duplicates and merges (merge.py) and anonymisation on
request (anonymisation.py); import from here."""

from wuyou.customers.services.anonymisation import (
    anonymisation_request_decide,
    anonymisation_request_file,
    customer_anonymise,
)
from wuyou.customers.services.archive import (
    AddressInput,
    ContactWindowInput,
    CustomerInput,
    TimelineLine,
    address_geocode,
    customer_create,
    customer_note_add,
    customer_reveal_phones,
    nearest_outlet,
    timeline_record,
    timeline_record_many,
)
from wuyou.customers.services.edit import AddressEdit, CustomerEdit, customer_edit, may_edit
from wuyou.customers.services.merge import (
    DuplicateCustomer,
    MovedRows,
    customer_merge,
    duplicates_of,
    duplicates_refuse,
    may_merge,
    merge_preview,
)
from wuyou.customers.services.places import address_place

__all__ = [
    "AddressEdit",
    "AddressInput",
    "ContactWindowInput",
    "CustomerEdit",
    "CustomerInput",
    "DuplicateCustomer",
    "MovedRows",
    "address_geocode",
    "address_place",
    "anonymisation_request_decide",
    "anonymisation_request_file",
    "customer_anonymise",
    "customer_create",
    "customer_edit",
    "customer_merge",
    "customer_note_add",
    "customer_reveal_phones",
    "duplicates_of",
    "duplicates_refuse",
    "may_edit",
    "may_merge",
    "merge_preview",
    "nearest_outlet",
    "TimelineLine",
    "timeline_record",
    "timeline_record_many",
]
