"""The demo relying parties: formadist, cpf and ecommunautes (each its own Flask app).

What they share (OpenID Connect login through Compte, the launcher header, single logout)
lives once in `clients.common`; each service only adds its pages and its demo data.
"""
