"""E-mails to shoppers, sent from the outbox (SPEC §8): receipt, refund notice, shipment
notice, and "e-mail me my orders".

`email_handlers(db, settings)` maps each kind to its handler; the drainer runs them with a
claimed message (kernel.drainer). Payloads (made when queued, by the owner of the object):

- `email.receipt` {"order_id"} — lines, totals, the e-tickets with their QR codes inline
  and as an attached PDF (`messaging.mail.tickets_pdf`), and a signed link to the order
  page valid for `RECEIPT_LINK_LIFETIME`;
- `email.refund` {"order_id", "refund_id"} — the amount and the lines paid back;
- `email.shipment` {"order_id", "shipment": {carrier, tracking_number, shipped_at, lines}};
- `email.orders_link` {"email"} — the orders that address paid for in the last two years,
  each with a link valid for `ORDERS_LINK_LIFETIME`, signed now (never stored). An address
  with no such orders gets no e-mail: the form answered the same either way, and writing to
  an address nobody proved to own would let anyone use the shop to send mail to strangers.

A message that cannot be sent as it is (its order gone, a malformed payload, an address with
CR/LF or that is no address, a 5xx from the server) fails at once (GiveUp); anything else
(no SMTP server configured yet, a 4xx, the server down) is raised, so it is retried.
Delivery is at least once: each message's Message-ID is derived from its outbox id, so a
repeated send is recognisably the same e-mail.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from email.message import EmailMessage
from typing import Any

from kernel import i18n
from kernel.clock import now_utc
from kernel.config import Settings, public_url
from kernel.db import Database
from kernel.drainer import Claim, GiveUp, Handler
from kernel.installation import SecretKey
from kernel.pdf import PdfUnavailable
from licensing.webhooks import DISABLED_EMAIL_KIND
from messaging.mail import content
from messaging.mail.compose import (
    OUTBOX_HEADER,
    Attachment,
    InlineImage,
    compose,
    subject_for,
)
from messaging.mail.smtp import (
    UnsafeHeader,
    mailbox,
    parse_mailbox,
    parse_smtp_url,
    send_message,
)
from messaging.mail.tickets_pdf import tickets_filename, tickets_pdf
from orders.addresses import format_lines
from orders.models import Order
from orders.order_links import (
    ORDERS_LINK_LIFETIME,
    RECEIPT_LINK_LIFETIME,
    order_link_path,
    sign_order_token,
)

log = logging.getLogger("tiein.mail")


class NotConfigured(RuntimeError):
    """No SMTP server is configured: the message waits (and is retried) until one is."""


class Mailer:
    """Renders and sends the shopper e-mails of one installation."""

    def __init__(
        self, db: Database, settings: Settings, *, now_fn: Callable[[], datetime] = now_utc
    ) -> None:
        self.db = db
        self.settings = settings
        self.now_fn = now_fn
        self.sender = parse_mailbox(settings.mail_from)  # a bad From fails at start-up
        self.server = parse_smtp_url(settings.smtp_url) if settings.smtp_url else None
        self.secret = SecretKey(settings.secret_key)

    def handlers(self) -> dict[str, Handler]:
        return {
            "email.receipt": self.receipt,
            "email.refund": self.refund,
            "email.shipment": self.shipment,
            "email.orders_link": self.orders_link,
            DISABLED_EMAIL_KIND: self.webhook_disabled,
        }

    async def _signed_link(self, number: str, expires_at: datetime) -> str:
        token = sign_order_token(await self.secret.load(self.db), number, expires_at=expires_at)
        return public_url(self.settings, order_link_path(number, token))

    async def _send(
        self,
        held: Claim,
        template: str,
        context: dict[str, Any],
        *,
        to: str,
        name: str = "",
        number: str = "",
        images: tuple[InlineImage, ...] = (),
        attachments: tuple[Attachment, ...] = (),
        language: str = i18n.DEFAULT,
    ) -> None:
        if self.server is None:
            raise NotConfigured("TIEIN_SMTP_URL is not set: the message waits for a server")
        try:
            with i18n.using(language):  # subject and body in the order's language
                message = self.message(
                    held, template, context, to, name, number, images, attachments
                )
        except UnsafeHeader as exc:
            raise GiveUp(f"cannot address this e-mail: {exc}") from exc
        await send_message(self.server, message)

    def message(
        self,
        held: Claim,
        template: str,
        context: dict[str, Any],
        to: str,
        name: str,
        number: str,
        images: tuple[InlineImage, ...],
        attachments: tuple[Attachment, ...] = (),
    ) -> EmailMessage:
        """The e-mail of a claimed message, ready to send."""
        context = {**context, "site_url": self.settings.public_url}
        return compose(
            template,
            context,
            sender=self.sender,
            to=mailbox(to, name),
            subject=subject_for(held.kind, number),
            message_id=f"<outbox-{held.id}.{template}@{self.sender.domain}>",
            date=self.now_fn(),
            images=images,
            headers={OUTBOX_HEADER: str(held.id)},
            attachments=attachments,
        )

    async def _order(self, held: Claim) -> Order:
        async with self.db.read_session() as session:
            order = await content.order_of(session, held.payload.get("order_id"))
        if order is None:
            raise GiveUp(f"no order {held.payload.get('order_id')!r}")
        return order

    async def receipt(self, held: Claim) -> None:
        """The receipt of a paid order, with its e-tickets."""
        async with self.db.read_session() as session:
            order = await content.order_of(session, held.payload.get("order_id"))
            if order is None:
                raise GiveUp(f"no order {held.payload.get('order_id')!r}")
            with i18n.using(order.language):  # lines and tickets in the order's words
                view = await content.order_view(session, order)
        link = await self._signed_link(order.number, self.now_fn() + RECEIPT_LINK_LIFETIME)
        images = tuple(
            InlineImage(t.cid, t.qr_png, filename=f"ticket-{n}.png")
            for n, t in enumerate(view.tickets, start=1)
        )
        with i18n.using(order.language):
            attachments = await self._tickets_pdf(order.number, view.tickets)
        context = {
            "order": order,
            "lines": view.lines,
            "tickets": view.tickets,
            "tickets_pdf": attachments[0].filename if attachments else "",
            "address_lines": format_lines(order.shipping) if order.shipping else [],
            "link": link,
        }
        await self._send(
            held,
            "receipt",
            context,
            to=order.email,
            name=content.addressee(order),
            number=order.number,
            images=images,
            attachments=attachments,
            language=order.language,
        )

    async def _tickets_pdf(
        self, number: str, tickets: list[content.TicketView]
    ) -> tuple[Attachment, ...]:
        """The e-tickets as a PDF attachment; none without tickets, or (logged) on a machine
        without WeasyPrint's libraries: the receipt still carries the QR codes inline."""
        if not tickets:
            return ()
        try:
            data = await tickets_pdf(number, tickets)
        except PdfUnavailable as missing:
            log.warning("receipt of %s sent without its e-tickets PDF: %s", number, missing)
            return ()
        return (Attachment(tickets_filename(number), data),)

    async def refund(self, held: Claim) -> None:
        """A refund paid back: how much, for which lines."""
        async with self.db.read_session() as session:
            order = await content.order_of(session, held.payload.get("order_id"))
            found = None
            if order is not None:
                with i18n.using(order.language):
                    found = await content.refund_lines(
                        session, order, held.payload.get("refund_id")
                    )
        if order is None or found is None:
            raise GiveUp(f"no refund {held.payload.get('refund_id')!r} of this order")
        refund, lines = found
        link = await self._signed_link(order.number, self.now_fn() + RECEIPT_LINK_LIFETIME)
        context = {"order": order, "refund": refund, "lines": lines, "link": link}
        await self._send(
            held,
            "refund",
            context,
            to=order.email,
            name=content.addressee(order),
            number=order.number,
            language=order.language,
        )

    async def shipment(self, held: Claim) -> None:
        """A shipment on its way, from the snapshot in the payload."""
        order = await self._order(held)
        shipment = content.shipment_view(held.payload)
        if shipment is None:
            raise GiveUp("the shipment in the payload is malformed")
        link = await self._signed_link(order.number, self.now_fn() + RECEIPT_LINK_LIFETIME)
        context = {"order": order, "shipment": shipment, "link": link}
        await self._send(
            held,
            "shipment",
            context,
            to=order.email,
            name=content.addressee(order),
            number=order.number,
            language=order.language,
        )

    async def orders_link(self, held: Claim) -> None:
        """The orders an address paid for, each with a short-lived link; nothing when none."""
        email = held.payload.get("email")
        if not isinstance(email, str) or not email:
            raise GiveUp("the payload names no address")
        now = self.now_fn()
        async with self.db.read_session() as session:
            orders = await content.paid_orders_of(session, email, now=now)
        if not orders:
            return  # nothing to tell; the form said the same either way
        expires_at = now + ORDERS_LINK_LIFETIME
        links = [(order, await self._signed_link(order.number, expires_at)) for order in orders]
        context = {"email": email, "orders": links, "expires_at": expires_at}
        # In the language of the latest order: the form's request left no other trace.
        await self._send(held, "orders_link", context, to=email, language=orders[0].language)

    async def webhook_disabled(self, held: Claim) -> None:
        """A merchant's webhook subscription failed for the whole retry horizon and was
        disabled (SPEC §8): its contact is told which URL, since when, and how to resume."""
        async with self.db.read_session() as session:
            found = await content.disabled_subscription(
                session, held.payload.get("subscription_id")
            )
        if found is None:
            raise GiveUp(f"no disabled subscription {held.payload.get('subscription_id')!r}")
        subscription, merchant = found
        if not merchant.contact_email:
            raise GiveUp(f"merchant {merchant.slug} has no contact address")
        context = {"subscription": subscription, "merchant": merchant}
        await self._send(held, "webhook_disabled", context, to=merchant.contact_email)


def email_handlers(
    db: Database, settings: Settings, *, now_fn: Callable[[], datetime] = now_utc
) -> dict[str, Handler]:
    """The handlers of the e-mail kinds (`email.receipt`, `email.refund`, `email.shipment`,
    `email.orders_link`, `email.webhook_disabled`), sending through TIEIN_SMTP_URL as
    TIEIN_MAIL_FROM."""
    return Mailer(db, settings, now_fn=now_fn).handlers()
