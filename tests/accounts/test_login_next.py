"""Safe `next` after login: relative paths, or registered origins only (plain function)."""

import pytest

from idp.accounts.redirects import is_safe_next, origin_of

ALLOWED = {"http://127.0.0.1:5001", "https://formadist.example"}


@pytest.mark.parametrize(
    "url",
    ["/", "/account", "/oauth/authorize?client_id=x&redirect_uri=http%3A%2F%2Fa", "/a/b#frag"],
)
def test_relative_paths_are_safe(url):
    """A path starting with one "/" stays on Compte."""
    assert is_safe_next(url)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "https://evil.example",
        "//evil.example/path",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "javascript:alert(1)",
        "http:evil.example",
        "https://formadist.example.evil.example/",
        "https://formadist.example@evil.example/",
        "https://user@formadist.example/",
        "account",
        "/" + "a" * 2100,
    ],
)
def test_open_redirects_are_refused(url):
    """Absolute URLs of other origins, scheme-relative and backslash tricks are refused."""
    assert not is_safe_next(url, ALLOWED)


def test_registered_origins_are_allowed():
    """An absolute URL whose origin is a launcher entry is allowed (case, default port)."""
    assert is_safe_next("http://127.0.0.1:5001/courses", ALLOWED)
    assert is_safe_next("HTTPS://Formadist.example:443/x", ALLOWED)
    assert not is_safe_next("http://127.0.0.1:5002/", ALLOWED)
    assert not is_safe_next("http://formadist.example/", ALLOWED)  # wrong scheme


def test_origin_of():
    """Origins are normalised: lower case, default ports dropped."""
    assert origin_of("HTTPS://A.example:443/x?y") == "https://a.example"
    assert origin_of("http://a.example:8080") == "http://a.example:8080"
    assert origin_of("ftp://a.example") is None
    assert origin_of("http://[bad") is None
