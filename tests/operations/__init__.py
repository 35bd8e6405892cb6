"""Operations: health checks, metrics, trusted proxies, HSTS, gunicorn and its logs."""
