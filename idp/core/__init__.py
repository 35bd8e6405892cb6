"""The foundation every area stands on: settings, the database and extensions, time,
secret digests, external URLs, sealing, rate-limit storage, metrics, background loops,
log redaction, the base form and the command-line context. It imports no area."""
