"""The visit's receipt as a PDF the customer keeps (issue 5 item 3): what was charged, under which rule and policy
version, why (one sentence per line), the serials of the parts fitted, and the customer's signature.

Built with reportlab's built-in CID font STSong-Light, which renders Chinese and Latin text with no font file on
the machine (the PDF viewer supplies the glyphs). Text follows the active language, like the receipt page.
"""

from __future__ import annotations

import io
from decimal import Decimal
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Flowable, Image, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from wuyou.core.signatures import signature_png
from wuyou.fees.selectors import Receipt
from wuyou.products.explanations import rule_label

FONT = "STSong-Light"


def _font() -> str:
    """Register the CID font once per process (registration is idempotent and holds no request state)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    return {
        "title": ParagraphStyle("title", parent=body, fontSize=16, leading=20, spaceAfter=4),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=10, textColor=colors.HexColor("#44505c")),
        "head": ParagraphStyle("head", parent=body, fontSize=8.5, textColor=colors.white),
        "total": ParagraphStyle("total", parent=body, fontSize=12, leading=16),
        "h2": ParagraphStyle("h2", parent=body, fontSize=11, leading=15, spaceBefore=8, spaceAfter=3),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)


def _yuan(amount: Decimal) -> str:
    return f"¥{amount:.2f}"


def signature_image(data_url: str, *, width: float = 60 * mm) -> Flowable | None:
    """The customer's drawn signature as an image, or None when there is none or it is unreadable.

    The stored text is never trusted: wuyou.core.signatures decodes it again under the door's limits (pixels,
    bytes, format) and re-encodes it, so a decompression bomb or a damaged file reads as "no image".
    """
    png = signature_png(data_url)
    if png is None:
        return None
    try:
        pixels_wide, pixels_high = ImageReader(io.BytesIO(png)).getSize()
    except (ValueError, OSError, IndexError, TypeError):
        return None  # a signature that is no image must not stop the receipt
    if not pixels_wide or not pixels_high:
        return None
    return Image(io.BytesIO(png), width=width, height=width * pixels_high / pixels_wide)


def _header(receipt: Receipt, company: str, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    wo, fee = receipt.work_order, receipt.quote
    sr = wo.request
    unit = sr.unit
    issued = timezone.localtime(receipt.issued_at)
    facts = [
        (pgettext("fee receipt", "Receipt"), fee.number),
        (_("Date"), issued.strftime("%Y-%m-%d %H:%M")),
        (pgettext("the visit's number", "Visit"), wo.number),
        (_("Customer"), sr.customer.name),
        (_("Address"), wo.address_text),
        (_("Unit"), f"{unit.serial} · {unit.product_model.code} {unit.product_model.name}" if unit else "—"),
        (_("Engineer"), wo.engineer.display_name if wo.engineer else "—"),
        (_("Policy"), f"{fee.policy_code} · {fee.policy_version}"),
    ]
    outlet = wo.outlet
    title = " · ".join(x for x in (company, outlet.name) if x)
    contact = " · ".join(x for x in (outlet.address, outlet.phone) if x)
    table = Table([[_p(k, s["small"]), _p(v, s["body"])] for k, v in facts], colWidths=[28 * mm, None], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 1)]))
    return [
        _p(title, s["title"]),
        *([_p(contact, s["small"])] if contact else []),
        _p(_("Service receipt"), s["h2"]),
        table,
    ]


def _lines(receipt: Receipt, s: dict[str, ParagraphStyle]) -> Table:
    head = [_("Item"), _("Qty"), _("Amount"), _("Customer pays"), _("Rule and explanation")]
    rows: list[list[object]] = [[_p(h, s["head"]) for h in head]]
    for line in receipt.lines:
        name = line.name if not line.code or line.kind != "part" else f"{line.name} ({line.code})"
        if line.serials:
            name += "\n" + _("Serial: %(serials)s") % {"serials": ", ".join(line.serials)}
        why = "\n".join([f"{rule_label(line.rule)} · {line.version}", line.explanation, *line.notes])
        rows.append(
            [
                _p(name, s["body"]),
                _p(line.quantity, s["body"]),
                _p(_yuan(line.amount), s["body"]),
                _p(_yuan(line.customer_share), s["body"]),
                _p(why, s["small"]),
            ]
        )
    table = Table(rows, colWidths=[40 * mm, 12 * mm, 22 * mm, 24 * mm, None], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#10243b")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#c5ccd3")),
                ("ALIGN", (1, 1), (3, -1), "RIGHT"),
            ]
        )
    )
    return table


def _payments(receipt: Receipt, s: dict[str, ParagraphStyle]) -> list[Flowable]:
    """What the customer paid (method, transaction number, amount) and the balance due (R-B5)."""
    story: list[Flowable] = [_p(_("Payments"), s["h2"])]
    for payment in receipt.payments:
        reference = f" · {payment.reference}" if payment.reference else ""
        when = timezone.localtime(payment.created_at).strftime("%Y-%m-%d %H:%M")
        story.append(_p(f"{when} · {payment.get_method_display()}{reference} · {_yuan(payment.amount)}", s["body"]))
    if not receipt.payments:
        story.append(_p(_("Nothing paid yet."), s["body"]))
    story.append(_p(_("Paid: %(paid)s") % {"paid": _yuan(receipt.paid)}, s["body"]))
    story.append(_p(_("Balance due: %(balance)s") % {"balance": _yuan(receipt.balance_due)}, s["total"]))
    return story


def receipt_pdf(receipt: Receipt, *, company: str = "") -> bytes:
    """The receipt as PDF bytes: header, lines with rules and serials, totals, settlement, signature, options."""
    s = _styles()
    fee = receipt.quote
    story: list[Flowable] = [*_header(receipt, company, s), Spacer(1, 4 * mm), _lines(receipt, s), Spacer(1, 3 * mm)]
    story.append(_p(_("Total: %(total)s") % {"total": _yuan(receipt.total)}, s["body"]))
    story.append(_p(_("Customer's share as quoted: %(share)s") % {"share": _yuan(receipt.customer_total)}, s["body"]))
    story.append(_p(_("The customer pays: %(pays)s") % {"pays": _yuan(receipt.customer_pays)}, s["total"]))
    story += _payments(receipt, s)
    if fee.settlement_note:
        story.append(_p(_("Settled by the service centre"), s["h2"]))
        story.append(_p(fee.settlement_note, s["body"]))
    if receipt.options:
        story.append(_p(_("Return and exchange options still open"), s["h2"]))
        story += [_p(f"• {option}", s["body"]) for option in receipt.options]
    story.append(_p(_("The customer's agreement"), s["h2"]))
    if fee.signed_by:
        story.append(_p(_("Signed by %(name)s") % {"name": fee.signed_by}, s["body"]))
    image = signature_image(fee.signature)
    if image is not None:
        story.append(image)
    elif fee.signature:
        story.append(_p(_("Signature unreadable"), s["body"]))
    elif not fee.signed_by:
        story.append(_p("—", s["body"]))
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=_("Receipt %(number)s") % {"number": fee.number},
    )
    doc.build(story)
    return buffer.getvalue()
