"""Forms of the administration pages: clients, and people (accounts, invitations, audit)."""
