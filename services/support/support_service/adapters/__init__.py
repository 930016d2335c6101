"""Database tables, repositories and the SMTP mailer."""
