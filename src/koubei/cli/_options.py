"""Option parsing shared by commands."""

from __future__ import annotations


def split_list(value: str | None) -> list[str]:
    """``"supplier, product"`` → ``["supplier", "product"]`` (empty parts dropped)."""
    return [v.strip() for v in (value or "").split(",") if v.strip()]
