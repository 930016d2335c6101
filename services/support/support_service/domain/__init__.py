"""Plain Python: tickets, SLA clocks, business calendars, surveys, returns and their rules."""
