"""Web pages of dispatch: the board and plans (board.py), opening and booking a visit (booking.py)."""
