"""The engineer's pages: his day and the visit (visit.py), the quote posted from the visit page (quote.py)."""
