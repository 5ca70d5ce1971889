"""Web pages of field service: the board and booking (board.py, booking.py), the engineer's day (engineer.py)."""
