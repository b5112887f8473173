"""Feedback to reporters (outbox, mails, SMTP) and retention of what they typed (purge)."""
