"""Organisations: who a person works for (SIRET), set per e-mail domain or per account."""
