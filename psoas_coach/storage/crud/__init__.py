"""Database functions, keyword-only arguments after the session, one module per area.

Every ``get_*`` of a team's object takes the asking coach's id and returns ``None`` when the
object does not exist *or* belongs to a team the coach is not a member of, so the web layer
answers both with the same 404.
"""
