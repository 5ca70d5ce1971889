"""`{{ stored|signature_src }}`: a stored signature as an image source that is safe to send to a browser.

Pages never trust stored bytes (issue 12 item 5): the signature is decoded under the door's limits and re-encoded,
so a picture stored before the door checked them (a decompression bomb) reaches no browser. Unreadable: "".
"""

from __future__ import annotations

import base64

from django import template

from wuyou.core.signatures import signature_png

register = template.Library()


@register.filter
def signature_src(stored: str | None) -> str:
    """A `data:image/png;base64,…` URL of the normalised signature, or "" when there is none or it is unreadable."""
    png = signature_png(stored or "")
    return f"data:image/png;base64,{base64.b64encode(png).decode()}" if png else ""
