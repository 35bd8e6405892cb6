"""Tables of this area."""

__all__: list[str] = []
