"""Signatures are decoded and checked at the door, stored normalised, and never trusted when drawn (issue 12 item 5).

A 76 KB PNG of 20000×20000 one-bit pixels was once stored as a quote's signature; every receipt PDF after it was a
500 (PIL's DecompressionBombError), for ever.
"""

# ruff: noqa: F811 — the `visit` fixture is imported from the fee service tests and used as an argument
from __future__ import annotations

import base64
import io
import struct
import time
import zlib

import pytest
from PIL import Image, PngImagePlugin
from pypdf import PdfReader

from tests.api_client import ApiClient, fields_of
from tests.field_service import SIGNATURE
from wuyou.core.errors import ValidationFailed
from wuyou.core.signatures import (
    MAX_SIGNATURE_CHARS,
    STORED_HEIGHT,
    STORED_WIDTH,
    is_drawn_signature,
    signature_normalised,
    signature_png,
)
from wuyou.dispatch.models import WorkOrder
from wuyou.fees.models import FeeQuote, QuoteStatus
from wuyou.fees.receipt_pdf import signature_image
from wuyou.fees.services import quote_decide
from wuyou.fees.tests.test_services import engineer, offer, visit  # noqa: F401  (the fixture)


def data_url(raw: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(raw).decode("ascii")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A one-bit greyscale PNG of width×height white pixels: tiny on disk, gigantic decoded."""
    row = b"\x00" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def encoded(size: tuple[int, int], fmt: str = "PNG", mode: str = "RGBA", **save: object) -> bytes:
    paper, ink = {"RGBA": ((0, 0, 0, 0), (16, 36, 59, 255)), "RGB": ((255,) * 3, (16, 36, 59)), "L": (255, 30)}[mode]
    image = Image.new(mode, size, paper)
    for x in range(0, size[0], 3):  # a stroke across, so there is ink to keep
        image.putpixel((x, size[1] // 2), ink)
    out = io.BytesIO()
    image.save(out, format=fmt, **save)
    return out.getvalue()


@pytest.fixture(scope="module")
def bomb() -> str:
    signature = data_url(bomb_png())
    assert len(signature) < 120_000  # the outside probe's 76 KB file: within the old character limit
    return signature


def refusals(bomb: str) -> dict[str, str]:
    png = encoded((40, 20))
    with_text = PngImagePlugin.PngInfo()
    with_text.add_text("Comment", "x" * 10)
    return {
        "20000x20000 one-bit bomb": bomb,
        "2001 pixels wide": data_url(encoded((2001, 10))),
        "1001 pixels high": data_url(encoded((10, 1001))),
        "GIF": data_url(encoded((10, 10), "GIF", mode="L"), "gif"),
        "SVG": "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode(),
        "JPEG bytes called PNG": data_url(encoded((10, 10), "JPEG", mode="RGB"), "png"),
        "PNG bytes called JPEG": data_url(png, "jpeg"),
        "truncated PNG": data_url(png[: len(png) // 2]),
        "the PNG magic alone": "data:image/png;base64,iVBORw0KGgo=",
        "bad base64": "data:image/png;base64,!!!notbase64!!!",
        "no data URL": "hello",
        "too many characters": "data:image/png;base64," + "A" * MAX_SIGNATURE_CHARS,
    }


# --------------------------------------------------------------------------------------------------- the door


def test_each_bad_image_is_refused_naming_the_field(bomb):
    for name, signature in refusals(bomb).items():
        started = time.monotonic()
        with pytest.raises(ValidationFailed) as refused:
            signature_normalised(signature, field="signature")
        assert refused.value.field == "signature" and refused.value.message, name
        assert time.monotonic() - started < 2, f"{name}: the check decoded too much"
        assert not is_drawn_signature(signature), name
        assert signature_png(signature) is None, name


@pytest.mark.parametrize(
    ("size", "fmt", "mode", "kind"),
    [((680, 340), "PNG", "RGBA", "png"), ((600, 200), "JPEG", "RGB", "jpeg"), ((2000, 1000), "PNG", "RGBA", "png")],
)
def test_a_drawn_image_is_stored_as_a_small_png_without_metadata(size, fmt, mode, kind):
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "leaked-secret")
    raw = encoded(size, fmt, mode, **({"pnginfo": info} if fmt == "PNG" else {}))
    stored = signature_normalised(data_url(raw, kind))
    assert stored.startswith("data:image/png;base64,") and len(stored) <= MAX_SIGNATURE_CHARS
    png = base64.b64decode(stored.split(",", 1)[1])
    assert b"leaked-secret" not in png
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.mode == "RGBA" and not image.text  # type: ignore[attr-defined]
    assert image.width <= STORED_WIDTH and image.height <= STORED_HEIGHT
    assert image.width / image.height == pytest.approx(size[0] / size[1], rel=0.02)
    assert signature_normalised(stored) == stored  # normalising twice changes nothing


def test_accepting_a_quote_with_a_bomb_is_refused_in_the_api_and_nothing_is_stored(visit, field_service, bomb):
    fee = offer(field_service, visit, ("CAP-1", 1))
    api = ApiClient(staff=field_service.network.engineer_a)
    body = {"decision": "accept", "signed_by": "李建国", "signature": bomb}
    response = api.post(f"/fees/quotes/{fee.pk}/decision", body)
    assert response.status_code == 422, response.content[:300]
    assert response["Content-Type"] == "application/problem+json" and fields_of(response) == {"signature"}
    fee.refresh_from_db()
    assert (fee.status, fee.signature) == (QuoteStatus.PROPOSED, "")


def test_accepting_a_quote_with_a_bomb_is_refused_on_the_visit_page(visit, field_service, bomb, client):
    fee = offer(field_service, visit, ("CAP-1", 1))
    client.force_login(field_service.network.engineer_a.user)
    client.cookies.load({"django_language": "en"})
    body = {"decision": "accept", "signed_by": "李建国", "signature": bomb}
    response = client.post(f"/dispatch/quotes/{fee.pk}/decision/", body)
    assert response.status_code == 422, response.content[:300]
    assert 'id="quote-signature-error"' in response.content.decode()
    fee.refresh_from_db()
    assert (fee.status, fee.signature) == (QuoteStatus.PROPOSED, "")


def test_the_visit_rating_refuses_a_bomb_in_the_api(visit, field_service, bomb):
    api = ApiClient(staff=field_service.network.engineer_a)
    body = {"quality": 5, "attitude": 5, "signature": bomb, "signed_by": "李建国"}
    response = api.post(f"/dispatch/work-orders/{visit.pk}/steps/rating", body)
    assert response.status_code == 422, response.content[:300]
    assert fields_of(response) == {"signature"}
    assert WorkOrder.objects.get(pk=visit.pk).signature == ""


def test_an_accepted_quote_keeps_the_normalised_signature(visit, field_service):
    fee = offer(field_service, visit, ("CAP-1", 1))
    fee = quote_decide(
        actor=engineer(field_service), quote_id=fee.pk, decision="accept", signed_by="李建国", signature=SIGNATURE
    )
    assert fee.signature == signature_normalised(SIGNATURE) and signature_png(fee.signature) is not None


# ------------------------------------------------------------------------------------------------- rendering


def test_signature_image_never_trusts_the_stored_bytes(bomb):
    started = time.monotonic()
    assert signature_image(bomb) is None
    assert signature_image("data:image/png;base64,iVBORw0KGgo=") is None
    assert time.monotonic() - started < 2
    assert signature_image(SIGNATURE) is not None


def test_a_bomb_stored_before_the_door_reads_as_unreadable_on_the_receipt(visit, field_service, bomb, client):
    fee = offer(field_service, visit, ("CAP-1", 1))
    quote_decide(
        actor=engineer(field_service), quote_id=fee.pk, decision="accept", signed_by="李建国", signature=SIGNATURE
    )
    FeeQuote.objects.filter(pk=fee.pk).update(signature=bomb)  # as the probe left it, before the door checked
    client.force_login(field_service.network.engineer_a.user)
    client.cookies.load({"django_language": "en"})
    for _attempt in range(2):  # not once, not for ever: every request
        pdf = client.get(f"/dispatch/work-orders/{visit.pk}/receipt.pdf")
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "Signature unreadable" in text and "李建国" in text
    assert client.get(f"/dispatch/work-orders/{visit.pk}/receipt/").status_code == 200
    api = ApiClient(staff=field_service.network.engineer_a)
    assert api.get(f"/fees/work-orders/{visit.pk}/receipt").status_code == 200
