"""The test worlds, built in one place.

`builders` makes one row each (`make_film`, `make_cinema`, `make_showtime`, `make_merchant`,
`make_agreement`, `make_product`, `make_bundle`, `make_order`, `make_order_line`,
`make_ticket_line`, `make_staff_user`, `make_api_token`), with defaults and keyword
overrides; the named worlds are composed of them: `licensing_world` and `catalog_world` (in
a session), `order_shop`, `shop_world`, `door_world`, `staff_world`, `staff_member` and
`graphql_world` (committed).
"""

from tests.factory.addresses import ADDRESSES, shipping_address, shipping_form
from tests.factory.builders import (
    approve,
    at,
    cover_film,
    make_agreement,
    make_api_token,
    make_bundle,
    make_cinema,
    make_film,
    make_merchant,
    make_order,
    make_order_line,
    make_product,
    make_screen,
    make_showtime,
    make_staff_user,
    make_ticket_line,
)
from tests.factory.graphql import GraphqlWorld, MerchantSide, graphql_world
from tests.factory.shops import (
    BUNDLE_PRICE,
    POSTER_PRICE,
    SHIRT_PRICE,
    TICKET_PRICE,
    Shop,
    ShopWorld,
    order_shop,
    shop_world,
)
from tests.factory.worlds import (
    STAFF_PASSWORD,
    STAFF_USERNAME,
    CatalogWorld,
    Door,
    StaffWorld,
    catalog_world,
    door_world,
    licensing_world,
    staff_member,
    staff_world,
)

__all__ = [
    "ADDRESSES",
    "BUNDLE_PRICE",
    "POSTER_PRICE",
    "SHIRT_PRICE",
    "STAFF_PASSWORD",
    "STAFF_USERNAME",
    "TICKET_PRICE",
    "CatalogWorld",
    "Door",
    "GraphqlWorld",
    "MerchantSide",
    "Shop",
    "ShopWorld",
    "StaffWorld",
    "approve",
    "at",
    "catalog_world",
    "cover_film",
    "door_world",
    "graphql_world",
    "licensing_world",
    "make_agreement",
    "make_api_token",
    "make_bundle",
    "make_cinema",
    "make_film",
    "make_merchant",
    "make_order",
    "make_order_line",
    "make_product",
    "make_screen",
    "make_showtime",
    "make_staff_user",
    "make_ticket_line",
    "order_shop",
    "shipping_address",
    "shipping_form",
    "shop_world",
    "staff_member",
    "staff_world",
]
