"""Signatures drawn on the screen (the visit's rating, the customer's consent to a quote): one rule for both.

An image is decoded and checked at the door (issue 12 item 5): a PNG or JPEG data URL, no larger than the pad can
make in bytes and in pixels, decoding cleanly; it is stored re-encoded as a small PNG with no metadata. Rendering
never trusts what is stored: `signature_png` decodes it again under the same limits and answers None for anything
unreadable, so one bad row (a 20000×20000 PNG, a decompression bomb) can no longer break a receipt for ever.
"""

from __future__ import annotations

import base64
import binascii
import io
import warnings

from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from wuyou.core.errors import ValidationFailed

# A PNG data URL of the signature pad is far smaller; anything longer is not a drawn signature.
MAX_SIGNATURE_CHARS = 400_000
MAX_SIGNATURE_BYTES = 300_000  # the decoded file; base64 of this is the character limit above
# The pad is at most 1000 CSS pixels wide on a tablet, drawn at up to twice the density.
MAX_SIGNATURE_WIDTH = 2000
MAX_SIGNATURE_HEIGHT = 1000
# What is kept: scaled down to this box (a receipt prints it 60 mm wide), RGBA so the ink keeps its transparency.
STORED_WIDTH = 1000
STORED_HEIGHT = 500
FORMATS = {"png": "PNG", "jpeg": "JPEG", "jpg": "JPEG"}
PNG_PREFIX = "data:image/png;base64,"


class SignatureUnreadable(ValueError):
    """The text is no image the pad could have drawn; the message says why, for the person."""


def _decoded(signature: str) -> Image.Image:
    """The signature's image, decoded in full under the limits; SignatureUnreadable for anything else."""
    if len(signature) > MAX_SIGNATURE_CHARS:
        raise SignatureUnreadable(_("The signature is too large to be drawn on the screen."))
    head, comma, payload = signature.partition(",")
    kind = head.removeprefix("data:image/").removesuffix(";base64").lower()
    if not comma or not head.startswith("data:image/") or not head.endswith(";base64") or kind not in FORMATS:
        raise SignatureUnreadable(_("The signature must be a PNG or JPEG image drawn on the screen."))
    try:
        raw = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise SignatureUnreadable(_("The signature is not a valid image (bad base64).")) from None
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise SignatureUnreadable(_("The signature is too large to be drawn on the screen."))
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(raw), formats=(FORMATS[kind],))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise SignatureUnreadable(_("The signature has far too many pixels.")) from None
        except Exception:  # Pillow raises a zoo of types (OSError, SyntaxError, struct.error…) for broken files
            raise SignatureUnreadable(_("The signature is not a PNG or JPEG image.")) from None
        width, height = image.size  # read from the header: nothing is decompressed yet
        if not (1 <= width <= MAX_SIGNATURE_WIDTH and 1 <= height <= MAX_SIGNATURE_HEIGHT):
            raise SignatureUnreadable(
                _("The signature is %(w)d×%(h)d pixels; at most %(mw)d×%(mh)d are taken.")
                % {"w": width, "h": height, "mw": MAX_SIGNATURE_WIDTH, "mh": MAX_SIGNATURE_HEIGHT}
            )
        try:
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise SignatureUnreadable(_("The signature has far too many pixels.")) from None
        except Exception:  # truncated or corrupt data, a bomb in disguise: unreadable, never a 500
            raise SignatureUnreadable(_("The signature image is damaged.")) from None
    return image


def _normalised_png(image: Image.Image) -> bytes:
    """The image as a small RGBA PNG with no metadata (EXIF, text chunks, colour profiles are dropped)."""
    try:
        upright = ImageOps.exif_transpose(image) or image
        rgba = upright.convert("RGBA")
    except Exception:  # an exotic mode Pillow cannot convert
        raise SignatureUnreadable(_("The signature image is damaged.")) from None
    rgba.thumbnail((STORED_WIDTH, STORED_HEIGHT), Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", rgba.size)
    clean.paste(rgba)
    out = io.BytesIO()
    clean.save(out, format="PNG", optimize=True)
    return out.getvalue()


def signature_normalised(signature: str, *, field: str = "signature") -> str:
    """The signature checked and re-encoded as a small PNG data URL; ValidationFailed naming `field` otherwise."""
    try:
        png = _normalised_png(_decoded(signature.strip()))
    except SignatureUnreadable as exc:
        raise ValidationFailed(str(exc), field=field) from None
    stored = PNG_PREFIX + base64.b64encode(png).decode("ascii")
    if len(stored) > MAX_SIGNATURE_CHARS:  # noise, not ink: a drawn line compresses far below this
        raise ValidationFailed(_("The signature is too large to be drawn on the screen."), field=field)
    return stored


def is_drawn_signature(signature: str) -> bool:
    """Whether the text is a signature the pad could have drawn (decodes within the limits)."""
    try:
        _decoded(signature.strip())
    except SignatureUnreadable:
        return False
    return True


def signature_png(stored: str) -> bytes | None:
    """A stored signature as PNG bytes safe to render, or None when there is none or it is unreadable."""
    if not stored:
        return None
    try:
        return _normalised_png(_decoded(stored.strip()))
    except SignatureUnreadable:
        return None
