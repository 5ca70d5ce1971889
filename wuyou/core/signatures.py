"""Signatures drawn on the screen (the visit's rating, the customer's consent to a quote): one rule for both."""

from __future__ import annotations

# A PNG data URL of the signature pad is far smaller; anything longer is not a drawn signature.
MAX_SIGNATURE_CHARS = 400_000


def is_drawn_signature(signature: str) -> bool:
    """Whether the text is a signature drawn on the screen: a PNG data URL no longer than the pad can make."""
    return signature.startswith("data:image/png;base64,") and len(signature) <= MAX_SIGNATURE_CHARS
