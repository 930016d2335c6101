"""Plain Python: campaigns, templates, audiences, tracking rules, attribution, coupons, research."""
