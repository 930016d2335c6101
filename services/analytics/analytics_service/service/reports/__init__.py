"""One module per report; each returns a :class:`~analytics_service.service.reports.base.Report`."""
