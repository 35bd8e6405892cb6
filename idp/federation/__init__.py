"""Signing in through an upstream identity provider (FranceConnect, ProConnect or any
OpenID provider): the providers an administrator declares, the links between an upstream
identity and a Compte account, and the sign-in flow itself."""
