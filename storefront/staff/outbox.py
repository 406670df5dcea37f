"""The Outbox page: the e-mails queued, sent and failed (from the outbox table) and, when
`tiein serve` runs the local SMTP sink, the e-mails it received, rendered (SPEC §8)."""

from __future__ import annotations

from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kernel.outbox import OutboxStatus
from messaging.mail import mailbox
from messaging.mail.listing import recent_emails
from storefront.staff.auth import require_staff
from storefront.staff.common import page
from storefront.web import path_param, query_param

STATUSES = {s.value for s in OutboxStatus}
# The received e-mail is shown in an iframe without scripts (sandbox, srcdoc); e-mails bring
# their own inline styles and images as data: URIs, so this page allows those and no more.
MAIL_PAGE_CSP = (
    "default-src 'self'; script-src 'none'; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; frame-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def _sink(request: Request) -> Path | None:
    directory = request.app.state.settings.mail_sink_dir
    return Path(directory) if directory else None


@require_staff
async def outbox(request: Request) -> Response:
    """GET /staff/outbox[?status=pending|done|failed]."""
    status = query_param(request, "status")
    if status not in STATUSES:
        status = ""
    async with request.app.state.db.read_session() as session:
        entries = await recent_emails(session, status=status or None)
    sink = _sink(request)
    received = mailbox.received(sink) if sink is not None else []
    by_outbox: dict[int, str] = {}
    for mail in reversed(received):  # newest last, so the newest copy wins
        if mail.outbox_id is not None:
            by_outbox[mail.outbox_id] = mail.name
    return page(
        request,
        "staff/outbox.html",
        entries=entries,
        status=status,
        statuses=sorted(STATUSES),
        sink=sink is not None,
        received=received,
        by_outbox=by_outbox,
    )


@require_staff
async def outbox_mail(request: Request) -> Response:
    """GET /staff/outbox/mail/{name}: one e-mail the local sink received."""
    sink = _sink(request)
    mail = mailbox.read(sink, path_param(request, "name")) if sink is not None else None
    if mail is None:
        raise HTTPException(404)
    response = page(request, "staff/outbox_mail.html", mail=mail)
    response.headers["Content-Security-Policy"] = MAIL_PAGE_CSP
    return response


routes = [
    Route("/staff/outbox", outbox, methods=["GET"], name="staff_outbox"),
    Route("/staff/outbox/mail/{name}", outbox_mail, methods=["GET"], name="staff_outbox_mail"),
]
