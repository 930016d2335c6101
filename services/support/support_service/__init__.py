"""After-sales support: tickets, complaints, returns, SLAs on business calendars, surveys."""
