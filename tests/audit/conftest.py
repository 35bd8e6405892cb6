"""Fixtures of the audit tests: a person and client applications of the provider tests."""

from tests.oidc.conftest import make_rp, person  # noqa: F401  (fixtures)
