"""Read side: the reports, the scoring job, ingestion and rebuild."""
