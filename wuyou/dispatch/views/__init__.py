"""Web pages of dispatch: the board and plans (board.py), a day drawn (day.py), booking a visit (booking.py)."""
