"""Tables of the analytics database and the SQL helpers projections write with."""
