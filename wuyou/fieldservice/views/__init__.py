"""The engineer's pages: his day (day.py), the visit walk (visit.py), the quote posted on the visit (quote.py)."""
