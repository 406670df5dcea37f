"""Statement documents in the console: the PDF of an agreement's statement for a period.

The agreement page links each period's document, the period page each agreement's. A closed
statement's document shows its receivable as of today (paid, balance, days overdue). Without
WeasyPrint's system libraries (a `make run` machine) the answer is a 503 page that names what
to install, never a 500."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from kernel.errors import DomainError
from kernel.pdf import PdfUnavailable
from licensing.agreements import get_agreement_by_code
from reports.statement_document import (
    statement_document,
    statement_pdf,
    statement_receivable,
    studio_party,
)
from storefront.staff.auth import require_staff
from storefront.staff.common import page, path_period
from storefront.web import now, path_param


def pdf_response(data: bytes, filename: str) -> Response:
    """A PDF download that is never cached on the way (a statement is private)."""
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


@require_staff
async def statement_pdf_view(request: Request) -> Response:
    period = path_period(request, "period")
    async with request.app.state.db.read_session() as session:
        try:
            agreement = await get_agreement_by_code(session, path_param(request, "code"))
        except DomainError:
            raise HTTPException(404) from None
        at = now(request)
        receivable = await statement_receivable(session, agreement.id, period, today=at.date())
        document = await statement_document(
            session,
            agreement.id,
            period,
            studio=studio_party(request.app.state.settings),
            now=at,
            receivable=receivable,
        )
    try:
        data = await statement_pdf(document)
    except PdfUnavailable as missing:
        return page(
            request,
            "staff/document_unavailable.html",
            503,
            what=f"The statement of {agreement.code} for {period}",
            reason=str(missing),
        )
    return pdf_response(data, document.filename)


routes = [
    Route(
        "/staff/agreements/{code}/statements/{period}.pdf",
        statement_pdf_view,
        methods=["GET"],
        name="staff_statement_pdf",
    ),
]
