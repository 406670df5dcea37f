"""Fault run: kill -9 the server in the middle of a checkout load, restart it, run the jobs,
and check the books. Bounded (about two minutes); prints its figures.

1. A fresh PostgreSQL database (`tiein db upgrade`), one film, showtime and hot T-shirt
   (bench_checkout's seed), localstripe with its webhooks pointed at the server.
2. `tiein serve` with TIEIN_RESERVATION_MINUTES=1; SHOPPERS shoppers go through the real
   pages again and again: cart, /checkout (reserve, PaymentIntent), card token, /pay confirm.
3. After LOAD_SECONDS the server is killed with SIGKILL, whatever it was doing; then
   restarted. Once every hold has run out, `tiein orders expire` and `tiein payments
   reconcile` are run, as a scheduler would.
4. The books: paid orders left unsettled (Stripe says succeeded, tiein does not say paid;
   or paid without its tickets or ledger entries), leaked reservations (units taken from
   stock that no paid line accounts for, reservations still active), and the ledger against
   the paid lines.

    .venv/bin/python bench/fault_run.py [--shoppers 8] [--load-seconds 6]

Needs PostgreSQL on 127.0.0.1:5432 (TIEIN_BENCH_PG_URL overrides) and localstripe.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from typing import Any

import httpx
from bench_checkout import find_postgres, scratch_database, seed
from sqlalchemy import func, select
from uvicorn_server import ROOT, start_serve

from catalog.models import Product, Ticket
from kernel.clock import now_utc
from kernel.config import Settings
from kernel.db import Database
from licensing.models import EntrySource, RoyaltyEntry
from orders.models import LineKind, Order, OrderLine, OrderStatus, Reservation, ReservationStatus
from orders.payments import StripeGateway
from tiein.localstripe import (
    TEST_PUBLISHABLE_KEY,
    TEST_SECRET_KEY,
    free_port,
    register_webhook,
    start_localstripe,
    stop_localstripe,
)
from tiein.models import load_all_models

TIEIN = [sys.executable, "-c", "import sys; from tiein.cli import main; sys.exit(main())"]
HOLD_MINUTES = 1
WEBHOOK_SECRET = f"whsec_{secrets.token_hex(16)}"  # per run: no secret in the source


def tiein(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*TIEIN, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    return (done.stdout + done.stderr).strip()


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    if not found:
        raise RuntimeError("no CSRF token on the page")
    return found.group(1)


async def shopper(base: str, stripe_url: str, sku: str, showtime_id: int, stop: float) -> int:
    """Buy a T-shirt and a ticket through the pages until the server dies or time is up."""
    paid = 0
    while time.monotonic() < stop:
        try:
            async with httpx.AsyncClient(base_url=base, timeout=30) as web:
                token = _token((await web.get("/")).text)
                form = {"csrf_token": token, "qty": "1"}
                await web.post("/cart/add", data={**form, "kind": "product", "sku": sku})
                await web.post(
                    "/cart/add",
                    data={**form, "kind": "ticket", "showtime_id": str(showtime_id)},
                )
                placed = await web.post(
                    "/checkout",
                    data={
                        "csrf_token": token, "email": "fan@example.com", "country": "US",
                        "shipping_name": "Ada Fan", "shipping_line1": "1 Harbor Road",
                        "shipping_city": "Springfield", "shipping_area": "IL",
                        "shipping_postcode": "62701",
                    },
                )  # fmt: skip
                location = placed.headers.get("location", "")
                if placed.status_code != 303 or "/pay/" not in location:
                    continue
                number = location.split("/pay/", 1)[1].split("?", 1)[0]
                key = location.split("key=", 1)[1]
                card = await web.post(
                    f"{stripe_url}/v1/tokens",
                    data={
                        "card[number]": "4242424242424242", "card[exp_month]": "12",
                        "card[exp_year]": "2031", "card[cvc]": "123", "key": TEST_PUBLISHABLE_KEY,
                    },
                )  # fmt: skip
                step = await web.post(
                    f"/pay/{number}/confirm",
                    json={"token": card.json()["id"], "key": key, "csrf_token": token},
                    headers={"X-CSRF-Token": token},
                )
                if step.json().get("status") == "succeeded":
                    paid += 1
        except (httpx.HTTPError, ValueError, RuntimeError):
            await asyncio.sleep(0.2)  # the server is down: keep trying until time is up
    return paid


async def load(
    base: str, stripe_url: str, showtime_id: int, shoppers: int, seconds: float, kill: Any
) -> int:
    stop = time.monotonic() + seconds + 3
    tasks = [
        asyncio.create_task(shopper(base, stripe_url, "BENCH-TEE-0", showtime_id, stop))
        for _ in range(shoppers)
    ]
    await asyncio.sleep(seconds)
    kill()
    return sum(await asyncio.gather(*tasks))


async def books(db: Database, gateway: StripeGateway, stock_before: int) -> dict[str, int]:
    async with db.read_session() as s:
        orders = list(await s.execute(select(Order.id, Order.status, Order.payment_intent_id)))
        lines = list(
            await s.execute(
                select(OrderLine.id, OrderLine.order_id, OrderLine.kind, OrderLine.quantity)
            )
        )
        per_line = select(Ticket.order_line_id, func.count()).group_by(Ticket.order_line_id)
        tickets = dict((await s.execute(per_line)).all())
        entries = set(
            await s.scalars(
                select(RoyaltyEntry.source_ref).where(RoyaltyEntry.source == EntrySource.SALE)
            )
        )
        stock = int(await s.scalar(select(Product.stock).where(Product.sku == "BENCH-TEE-0")) or 0)
        active = int(
            await s.scalar(
                select(func.count(Reservation.id)).where(
                    Reservation.status == ReservationStatus.ACTIVE
                )
            )
            or 0
        )
    paid_ids = {oid for oid, status, _ in orders if status == OrderStatus.PAID}
    unsettled = 0
    for _oid, status, intent_id in orders:
        if intent_id and status != OrderStatus.PAID:
            intent = await gateway.retrieve_intent(intent_id)
            unsettled += intent.status == "succeeded"
    for lid, oid, kind, qty in lines:
        if oid in paid_ids and kind == LineKind.TICKET and tickets.get(lid, 0) != qty:
            unsettled += 1
    paid_product_lines = {
        f"order_line:{lid}" for lid, oid, kind, _ in lines if oid in paid_ids and kind == "product"
    }
    sold = sum(q for _, oid, kind, q in lines if oid in paid_ids and kind == LineKind.PRODUCT)
    pending = sum(1 for _, status, _ in orders if status == OrderStatus.PENDING_PAYMENT)
    return {
        "orders": len(orders),
        "paid": len(paid_ids),
        "pending": pending,
        "unsettled": unsettled,
        "leaked_units": (stock_before - stock) - sold,
        "active_reservations": active,
        "ledger_missing": len(paid_product_lines - entries),
        "ledger_extra": len(entries - paid_product_lines),
    }


async def prepare(url: str) -> tuple[int, int]:
    """The hot T-shirt's stock and the showtime's id, once seeded."""
    db = Database(url)
    try:
        carts = await seed(db, now_utc(), 1)
        async with db.read_session() as s:
            stock = await s.scalar(select(Product.stock).where(Product.sku == "BENCH-TEE-0"))
        return int(stock or 0), int(carts[0].items[1].showtime_id or 0)
    finally:
        await db.dispose()


async def check(url: str, api_base: str, stock_before: int) -> dict[str, int]:
    db = Database(url)
    gateway = StripeGateway(Settings(stripe_secret_key=TEST_SECRET_KEY, stripe_api_base=api_base))
    try:
        return await books(db, gateway, stock_before)
    finally:
        await gateway.close()
        await db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=8)
    parser.add_argument("--load-seconds", type=float, default=6.0)
    args = parser.parse_args()
    load_all_models()
    admin = asyncio.run(find_postgres())
    if admin is None:
        print("fault run skipped: no PostgreSQL on 127.0.0.1:5432")
        return 0
    with scratch_database(admin, "tiein_fault") as url:
        return run_faults(args, url)


def run_faults(args: argparse.Namespace, url: str) -> int:
    """Load, kill -9, restart, run the jobs, check the books; 1 when they do not add up."""
    stripe_port, app_port = free_port(), free_port()
    stripe_url, base = f"http://127.0.0.1:{stripe_port}", f"http://127.0.0.1:{app_port}"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TIEIN_DATABASE_URL": url,
        "TIEIN_RESERVATION_MINUTES": str(HOLD_MINUTES),
        "STRIPE_SECRET_KEY": TEST_SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": TEST_PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_JS_URL": f"{stripe_url}/js.stripe.com/v3/",
    }
    stripe = start_localstripe(stripe_port)
    server = None
    try:
        tiein(env, "db", "upgrade")
        stock_before, showtime_id = asyncio.run(prepare(url))
        register_webhook(stripe_url, f"{base}/webhooks/stripe", WEBHOOK_SECRET)
        server = start_serve(app_port, env)
        started = time.monotonic()
        victim = server

        def kill() -> None:
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()

        paid = asyncio.run(
            load(base, stripe_url, showtime_id, args.shoppers, args.load_seconds, kill)
        )
        print(f"load: {args.shoppers} shoppers for {args.load_seconds:.0f} s, then kill -9")
        print(f"  checkouts the shoppers saw paid before the kill: {paid}")
        server = start_serve(app_port, env)  # restarted; webhooks sent meanwhile were lost
        before = asyncio.run(check(url, stripe_url, stock_before))
        print(
            f"  just after the restart: {before['orders']} orders, {before['paid']} paid, "
            f"{before['pending']} pending, {before['unsettled']} paid in Stripe but not "
            f"settled, {before['active_reservations']} reservations active"
        )
        wait = started + HOLD_MINUTES * 60 + 5 - time.monotonic()
        if wait > 0:
            print(f"  waiting {wait:.0f} s for every hold to run out")
            time.sleep(wait)
        print("  tiein orders expire:", tiein(env, "orders", "expire").splitlines()[0])
        print("  tiein payments reconcile:", tiein(env, "payments", "reconcile").splitlines()[0])
        after = asyncio.run(check(url, stripe_url, stock_before))
        print("after the jobs:")
        print(f"  orders {after['orders']}, paid {after['paid']}, pending {after['pending']}")
        print(f"  paid orders unsettled: {after['unsettled']}")
        print(
            f"  leaked reservations: {after['active_reservations']} still active, "
            f"{after['leaked_units']} T-shirt units taken with no paid line"
        )
        print(
            f"  ledger vs paid product lines: {after['ledger_missing']} missing, "
            f"{after['ledger_extra']} extra"
        )
        bad = (
            after["unsettled"]
            or after["active_reservations"]
            or after["leaked_units"]
            or after["ledger_missing"]
            or after["ledger_extra"]
        )
        print("fault run:", "FAILED" if bad else "ok")
        return 1 if bad else 0
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=15)
        stop_localstripe(stripe)


if __name__ == "__main__":
    sys.exit(main())
