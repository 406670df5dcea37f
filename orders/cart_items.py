"""The cart's items: plain data kept in the signed session cookie (orders/cart.py prices and
checks them). A product item names a SKU (a variant's for a product with variants); a bundle
item names its offer, showtime and the variants the shopper chose."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from orders.models import LineKind

SESSION_KEY = "cart"
MAX_ITEMS = 20
MAX_QUANTITY = 20


@dataclass(frozen=True)
class CartItem:
    """One cart entry. Products use `sku`; tickets `showtime_id`; bundles `offer_id` and
    `showtime_id` (the showtime whose ticket the bundle holds)."""

    kind: LineKind
    qty: int
    sku: str = ""
    showtime_id: int | None = None
    offer_id: int | None = None
    # A bundle's choices: (component position, variant id) for each component whose
    # variant (a size) the shopper chooses, by position.
    choices: tuple[tuple[int, int], ...] = ()

    @classmethod
    def product(cls, sku: str, qty: int = 1) -> CartItem:
        return cls(LineKind.PRODUCT, qty, sku=sku.strip())

    @classmethod
    def ticket(cls, showtime_id: int, qty: int = 1) -> CartItem:
        return cls(LineKind.TICKET, qty, showtime_id=showtime_id)

    @classmethod
    def bundle(
        cls,
        offer_id: int,
        showtime_id: int,
        qty: int = 1,
        choices: dict[int, int] | tuple[tuple[int, int], ...] = (),
    ) -> CartItem:
        chosen = tuple(sorted(dict(choices).items()))
        return cls(LineKind.BUNDLE, qty, showtime_id=showtime_id, offer_id=offer_id, choices=chosen)

    @property
    def key(self) -> tuple[str, str, int | None, int | None, tuple[tuple[int, int], ...]]:
        """Items with the same key are one cart line (their quantities add up)."""
        return (self.kind.value, self.sku, self.showtime_id, self.offer_id, self.choices)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind.value, "qty": self.qty}
        if self.kind == LineKind.PRODUCT:
            data["sku"] = self.sku
        else:
            data["showtime"] = self.showtime_id
        if self.kind == LineKind.BUNDLE:
            data["offer"] = self.offer_id
            if self.choices:
                data["choices"] = [list(pair) for pair in self.choices]
        return data

    @classmethod
    def from_dict(cls, data: Any) -> CartItem | None:
        """The item a session dict describes, or None for anything malformed."""
        if not isinstance(data, dict):
            return None
        try:
            kind = LineKind(data.get("kind"))
            qty = data.get("qty")
            if not isinstance(qty, int) or isinstance(qty, bool) or not 1 <= qty <= MAX_QUANTITY:
                return None
            if kind == LineKind.PRODUCT:
                sku = data.get("sku")
                return cls.product(sku, qty) if isinstance(sku, str) and sku.strip() else None
            showtime = data.get("showtime")
            if not isinstance(showtime, int) or isinstance(showtime, bool):
                return None
            if kind == LineKind.TICKET:
                return cls.ticket(showtime, qty)
            offer = data.get("offer")
            if not isinstance(offer, int) or isinstance(offer, bool):
                return None
            choices = data.get("choices", [])
            if not isinstance(choices, list) or len(choices) > 10:
                return None
            pairs = [pair for pair in choices if _int_pair(pair)]
            if len(pairs) != len(choices):
                return None
            return cls.bundle(offer, showtime, qty, tuple((p[0], p[1]) for p in pairs))
        except ValueError:
            return None


def _int_pair(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    )


@dataclass(frozen=True)
class Cart:
    items: tuple[CartItem, ...] = ()

    @classmethod
    def from_session(cls, data: Any) -> Cart:
        """The cart kept in a session (`request.session.get("cart")`); junk is dropped."""
        if not isinstance(data, list):
            return cls()
        items = [item for item in map(CartItem.from_dict, data[:MAX_ITEMS]) if item]
        cart = cls()
        for item in items:
            cart = cart.with_item(item)
        return cls(tuple(replace(i, qty=min(i.qty, MAX_QUANTITY)) for i in cart.items))

    def to_session(self) -> list[dict[str, Any]]:
        return [item.to_dict() for item in self.items]

    def __len__(self) -> int:
        return len(self.items)

    @property
    def count(self) -> int:
        return sum(item.qty for item in self.items)

    @property
    def ships_merch(self) -> bool:
        """Whether anything in the cart is shipped (SPEC §8): a product, or a bundle's merch
        parts (every bundle has some); tickets alone ship nothing and need no address."""
        return any(item.kind in (LineKind.PRODUCT, LineKind.BUNDLE) for item in self.items)

    def with_item(self, item: CartItem) -> Cart:
        """The cart with `item` added; an item with the same key gets its quantity raised."""
        items = list(self.items)
        for index, existing in enumerate(items):
            if existing.key == item.key:
                items[index] = replace(existing, qty=existing.qty + item.qty)
                return Cart(tuple(items))
        return Cart((*items, item))

    def with_quantity(self, index: int, qty: int) -> Cart:
        """The cart with line `index` set to `qty` (0 removes it)."""
        if not 0 <= index < len(self.items):
            return self
        if qty <= 0:
            return self.without(index)
        items = list(self.items)
        items[index] = replace(items[index], qty=qty)
        return Cart(tuple(items))

    def without(self, index: int) -> Cart:
        return Cart(tuple(item for i, item in enumerate(self.items) if i != index))
