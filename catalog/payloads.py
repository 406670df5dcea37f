"""The catalog's objects as a merchant sees them in its webhook events (SPEC §8, DESIGN §1:
each event's payload is made by the package that owns the object, when it is queued)."""

from __future__ import annotations

import base64
from typing import Any

from catalog.models import Product
from kernel.money import format_amount


def global_id(type_name: str, pk: int | str) -> str:
    """The object's ID as the GraphQL API gives it (`node(id:)` fetches it)."""
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def money(minor: int, currency: str) -> dict[str, str]:
    """An amount as the API's Money: a decimal string in major units, never a float."""
    return {"amount": format_amount(minor, currency), "currency": currency}


def product_payload(product: Product) -> dict[str, Any]:
    """A product as its merchant sees it (stock and threshold included)."""
    return {
        "id": global_id("Product", product.id),
        "sku": product.sku,
        "name": product.name,
        "category": product.category.value,
        "price": money(product.price_minor, product.currency),
        "stock": product.stock,
        "low_stock_threshold": product.low_stock_threshold,
        "approval_stage": product.approval_stage.value,
        "agreement_id": global_id("Agreement", product.agreement_id),
        "film_id": global_id("Film", product.film_id),
    }
