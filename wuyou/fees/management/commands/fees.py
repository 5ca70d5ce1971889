"""`wuyou fees quote --serial S …`: price a job on a unit under its warranty policy, explaining every line.

Exit status: 0 with a quote, 2 when the input is refused (the field at fault on stderr).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone, translation

from wuyou.core.errors import DomainError
from wuyou.fees.pricing import QuotePart, parts_quote
from wuyou.products.explanations import quote_as_dict
from wuyou.products.management.commands.policy import command_actor


def part_from_text(text: str) -> QuotePart:
    """`CODE[:QTY[:CARD_PRICE]]` → a catalogue part; CommandError naming --part if malformed."""
    fields = text.split(":")
    if not 1 <= len(fields) <= 3 or not fields[0].strip():
        raise CommandError(f"--part {text!r}: write CODE[:QTY[:CARD_PRICE]]", returncode=2)
    try:
        return QuotePart(
            code=fields[0].strip(),
            quantity=int(fields[1]) if len(fields) > 1 and fields[1] else 1,
            card_price=Decimal(fields[2]) if len(fields) > 2 and fields[2] else None,
        )
    except (InvalidOperation, ValueError):
        raise CommandError(f"--part {text!r}: QTY must be a whole number, CARD_PRICE a number", returncode=2) from None


class Command(BaseCommand):
    help = "Quote a job on a unit: fees quote --serial S --job-type repair --cause quality --date YYYY-MM-DD …"

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="<action>", required=True)
        q = actions.add_parser("quote", help="price a job and explain every line")
        q.add_argument("--serial", required=True, help="the unit's serial number")
        q.add_argument("--job-type", default="repair", help="repair, maintenance, software_setup, trade_in, …")
        q.add_argument("--cause", default="quality", help="quality, user_damage, wear or misuse")
        q.add_argument("--date", default=None, help="service date YYYY-MM-DD (default: today)")
        q.add_argument("--part", action="append", default=[], help="catalogue part CODE[:QTY[:CARD_PRICE]]")
        q.add_argument("--labour", default=None, help="labour fee in yuan (default: the fee schedule's for the job)")
        q.add_argument("--labour-card-price", default=None, help="labour price on the customer's warranty card")
        q.add_argument("--user", help="act as this user (default: the command-line operator)")
        q.add_argument("--json", action="store_true", help="print the quote as JSON")
        q.add_argument("--language", default="en", help="language of the explanations, e.g. en, zh-hans (default en)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            service_date = dt.date.fromisoformat(options["date"]) if options["date"] else timezone.localdate()
            labour = Decimal(options["labour"]) if options["labour"] is not None else None
            card = options["labour_card_price"]
            labour_card = Decimal(card) if card is not None else None
        except (ValueError, InvalidOperation):
            raise CommandError("--date must be YYYY-MM-DD; --labour and card prices numbers", returncode=2) from None
        parts = [part_from_text(p) for p in options["part"]]
        try:
            unit, priced = parts_quote(
                actor=command_actor(options.get("user")),
                serial=options["serial"],
                job_type=options["job_type"],
                fault_cause=options["cause"],
                service_date=service_date,
                parts=parts,
                labour_fee=labour,
                labour_card_price=labour_card,
            )
        except DomainError as error:
            for path, message in (error.errors or {"input": error.message}).items():
                self.stderr.write(f"{path}: {message}")
            raise CommandError("refused", returncode=2) from None
        with translation.override(options["language"]):
            answer = quote_as_dict(unit.serial, priced)
        if options["json"]:
            self.stdout.write(json.dumps(answer, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2))
            return
        self.stdout.write(f"{answer['serial']} · policy {answer['policy']} version {answer['policy_version']}")
        for line in answer["lines"]:
            self.stdout.write(
                f"  {line['kind']:<8} {line['code']:<12} x{line['quantity']}  "
                f"{line['amount']:>9}  customer {line['customer_share']:>9}  [{line['rule']}]"
            )
            for sentence in [line["explanation"], *line["notes"]]:
                self.stdout.write(f"      {sentence}")
        self.stdout.write(f"  total {answer['total']}  customer pays {answer['customer_total']}")
        for option in answer["options"]:
            state = "open" if option["eligible"] else "closed"
            self.stdout.write(
                f"  option {option['kind']} ({state}, until {option['deadline']}): {option['explanation']}"
            )
