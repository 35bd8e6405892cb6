"""Fault tests: SMTP, Redis and PostgreSQL down, silent or cut, then back."""
