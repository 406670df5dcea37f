"""The shopper's storefront: catalog, cart, checkout, the card step and the order page."""

from __future__ import annotations

from starlette.routing import Route

from storefront.shop import (
    cart,
    catalog,
    checkout,
    country,
    language,
    my_orders,
    referrals,
    verify,
)

routes: list = [
    Route("/", catalog.home, name="home"),
    Route("/films/{slug}", catalog.film, name="film"),
    Route("/products/{sku}", catalog.product, name="product"),
    Route("/verify", catalog.verify, name="verify"),
    Route("/verify/{code:path}", verify.verify_code, name="verify_code"),
    Route("/cart", cart.show, name="cart"),
    Route("/cart/add", cart.add, methods=["POST"], name="cart_add"),
    Route("/cart/update", cart.update, methods=["POST"], name="cart_update"),
    Route("/cart/remove", cart.remove, methods=["POST"], name="cart_remove"),
    Route("/cart/promo", cart.promo_code, methods=["POST"], name="cart_promo"),
    Route("/checkout", checkout.checkout_form, methods=["GET"], name="checkout"),
    Route("/checkout", checkout.checkout_submit, methods=["POST"], name="checkout_submit"),
    Route("/pay/{number}", checkout.pay, name="pay"),
    Route("/pay/{number}/confirm", checkout.pay_confirm, methods=["POST"], name="pay_confirm"),
    Route("/orders/{number}", checkout.order, name="order"),
    Route("/orders/{number}/status", checkout.order_status, name="order_status"),
    Route("/r/{code}", referrals.referral, name="referral"),
    Route("/country", country.choose_country, methods=["POST"], name="choose_country"),
    Route("/language/{code}", language.choose_language, name="choose_language"),
    *my_orders.routes,
]
