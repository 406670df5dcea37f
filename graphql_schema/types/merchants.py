"""A merchant's contacts (licensing.merchants): private to staff and to the merchant itself."""

from __future__ import annotations

from typing import Any

import graphene


class MerchantContact(graphene.ObjectType):
    """A person at a merchant, reached by e-mail for one role."""

    name = graphene.String(required=True, description="The contact's name.")
    email = graphene.String(required=True, description="The contact's e-mail address.")
    role = graphene.String(
        required=True, description="What they are reached for: licensing, finance or operations."
    )


def contacts_field() -> graphene.List:
    return graphene.List(
        graphene.NonNull(MerchantContact),
        required=True,
        description="Its contacts in the order given; empty unless you are staff or this "
        "merchant (never shown to other merchants or the public).",
    )


def resolve_contacts(root: Any, info: Any) -> Any:
    """Through the request's batched loader: one statement for any number of merchants."""
    return info.context.loaders.list("merchant.contacts").load(root.id)
