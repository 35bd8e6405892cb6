"""Hypothesis strategies of hostile input for the fuzz suites (test_fuzz_*.py): text with
NUL, control characters and odd unicode, very long strings, numbers, JWT-looking junk,
bad Basic headers, JSON of every type (with lone surrogates, which JSON escapes carry)."""

from __future__ import annotations

import base64
import json
import os
from typing import Any
from urllib.parse import quote_from_bytes

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

# Characters and fragments that broke, or could break, something somewhere.
ODD = [
    "\x00",
    "\x01",
    "\x08",
    "\t",
    "\n",
    "\r\n",
    "\x1b",
    "\x7f",
    "\x85",
    "\xa0",
    "\u2028",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "\U0010ffff",
    "é",
    "😀",
    "%00",
    "%ff",
    "%",
    "+",
    "&",
    "=",
    ";",
    "'",
    '"',
    "\\",
    "<script>",
    "../",
    " ",
    "",
]


def fuzz_settings(max_examples: int) -> settings:
    """Few examples per test (about 2,600 requests per backend, 5,000 in all), no
    deadline (PostgreSQL and bcrypt timings vary), the app fixture shared by examples.
    COMPTE_FUZZ_SCALE=10 runs ten times as many (a longer hunt, by hand or nightly)."""
    scale = float(os.environ.get("COMPTE_FUZZ_SCALE", "1"))
    return settings(
        max_examples=max(1, int(max_examples * scale)),
        deadline=None,
        database=None,  # every run explores afresh; a failure prints a blob to replay it
        print_blob=True,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
        ],
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


odd = st.sampled_from(ODD)
# What a query string or a form can carry: any UTF-8 text (no lone surrogates).
short_text = st.text(max_size=30)
mixed_text = st.lists(st.one_of(short_text, odd), max_size=6).map("".join)
long_text = st.builds(
    lambda unit, count: unit * count,
    st.sampled_from(["A", "é", "\x00", "😀", "a b", "%", "\n"]),
    st.integers(100, 9000),
)
numbers = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
).map(str)

# JSON of any shape; its strings may hold lone surrogates (sent escaped, as "\udc80").
json_text = st.lists(
    st.one_of(st.characters(), st.characters(categories=["Cs"]), odd), max_size=12
).map("".join)
json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(), json_text, long_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(json_text, inner, max_size=4)
    ),
    max_leaves=8,
)


def json_bytes(value: Any) -> bytes:
    """JSON as a client would send it: surrogates escaped (ensure_ascii)."""
    return json.dumps(value).encode()


jwt_like = st.builds(
    lambda header, claims, signature: ".".join(
        [b64url(json_bytes(header)), b64url(json_bytes(claims)), b64url(signature)]
    ),
    st.one_of(json_values, st.just({"alg": "ES256", "typ": "JWT"})),
    json_values,
    st.binary(max_size=64),
)
# Addresses that pass a URL check, some of them longer than any column holds.
uri_like = st.builds(
    lambda base, path: base + path,
    st.sampled_from(["https://rp.example/", "http://127.0.0.1:9/", "https://", "javascript:"]),
    st.one_of(short_text, long_text),
)
text_value = st.one_of(short_text, mixed_text, long_text, numbers, jwt_like, odd, uri_like)


def header_text(text: str) -> str:
    """What an HTTP header can carry (latin-1, no line breaks)."""
    return text.encode("latin-1", "ignore").decode("latin-1").replace("\r", "").replace("\n", "")


basic_header = st.one_of(
    st.builds(
        lambda user, password: "Basic " + base64.b64encode(user + b":" + password).decode(),
        st.binary(min_size=1, max_size=80),  # both non-empty, or Authlib looks nothing up
        st.binary(min_size=1, max_size=80),
    ),
    st.builds(
        lambda user, password: "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode(),
        text_value,
        text_value,
    ),
    text_value.map(lambda text: header_text("Basic " + text)),
)
bearer_header = text_value.map(lambda text: header_text("Bearer " + text))
any_authorization = st.one_of(
    basic_header, bearer_header, text_value.map(header_text), st.sampled_from(["Basic", "Bearer"])
)


def pairs(names: list[str], base: dict[str, str] | None = None) -> st.SearchStrategy:
    """Parameters as (name, value) pairs: `base` with some values replaced by junk, some
    removed, some repeated, plus names of our own."""
    base = base or {}

    def build(changes: dict, removed: list, extra: list) -> list[tuple[str, str]]:
        merged = {**base, **changes}
        return [(k, v) for k, v in merged.items() if k not in removed] + extra

    # Mostly the request's own parameters: junk in one of them is what reaches deepest.
    pool = st.sampled_from(names)
    known = st.one_of(st.sampled_from(sorted(base)), pool) if base else pool
    return st.builds(
        build,
        st.dictionaries(known, text_value, min_size=1, max_size=3),
        st.lists(st.sampled_from(sorted(base) or names), max_size=2),
        st.lists(st.tuples(st.one_of(known, short_text), text_value), max_size=2),
    )


def body_kwargs(params: list[tuple[str, str]], raw: bytes, json_body: Any, kind: str) -> dict:
    """Keyword arguments of client.open for a body of the given kind."""
    if kind == "form":
        return {"data": MultiDict(params)}
    if kind == "json":
        return {"data": json_bytes(json_body), "content_type": "application/json"}
    if kind == "raw-form":  # bytes that are not UTF-8, bare or percent-encoded
        return {"data": raw, "content_type": "application/x-www-form-urlencoded"}
    return {"data": raw, "content_type": "text/plain"}


body_kind = st.sampled_from(["form", "form", "form", "json", "raw-form", "raw"])
raw_body = st.one_of(
    st.binary(max_size=200),
    st.lists(st.tuples(short_text, st.binary(max_size=20)), max_size=4).map(
        lambda items: b"&".join(k.encode() + b"=" + v for k, v in items)
    ),
    st.lists(
        st.tuples(st.sampled_from(["client_id", "state", "email"]), st.binary()), max_size=3
    ).map(lambda items: "&".join(f"{k}={quote_from_bytes(v)}" for k, v in items).encode()),
)
