"""The approvals queue: products waiting for a concept or sample review, with their history."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.models import ApprovalStage, Film, Product
from kernel.errors import DomainError
from kernel.parsing import clean_text, parse_id
from licensing.approvals import review_product
from licensing.models import Merchant, ProductReview
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import flash, flash_error, page
from storefront.web import now, path_for, read_form

AWAITING_REVIEW = (ApprovalStage.CONCEPT_SUBMITTED, ApprovalStage.SAMPLE_SUBMITTED)
DECISIONS = {
    "approve": "approved",
    "request_changes": "sent back for changes",
    "reject": "rejected",
}


@require_staff
async def queue(request: Request) -> Response:
    async with request.app.state.db.read_session() as session:
        rows = (
            await session.execute(
                select(Product, Merchant.name, Film.title)
                .join(Merchant, Merchant.id == Product.merchant_id)
                .join(Film, Film.id == Product.film_id)
                .where(Product.approval_stage.in_(AWAITING_REVIEW))
                .order_by(Product.updated_at, Product.id)
            )
        ).all()
        history: dict[int, list[ProductReview]] = defaultdict(list)
        if rows:
            reviews = await session.scalars(
                select(ProductReview)
                .where(ProductReview.product_id.in_([p.id for p, _, _ in rows]))
                .order_by(ProductReview.created_at, ProductReview.id)
            )
            for review in reviews:
                history[review.product_id].append(review)
    items = [{"product": p, "merchant": m, "film": f, "history": history[p.id]} for p, m, f in rows]
    return page(request, "staff/approvals.html", items=items)


@require_staff
async def review(request: Request) -> Response:
    form = await read_form(request)
    product_id = parse_id(request.path_params["product_id"], field="product_id")
    decision = clean_text(form.get("decision"), field="decision", max_len=40)
    comment = clean_text(form.get("comment"), field="comment", max_len=4000)
    try:
        async with request.app.state.db.session() as session:
            product = await review_product(
                session,
                product_id,
                decision=decision,
                reviewer=staff_name(request),
                comment=comment,
                now=now(request),
            )
            sku = product.sku
    except DomainError as error:
        flash_error(request, error)
    else:
        flash(request, f"{sku} {DECISIONS.get(decision, decision)}.")
    return RedirectResponse(path_for(request, "staff_approvals"), status_code=303)


routes = [
    Route("/staff/approvals", queue, methods=["GET"], name="staff_approvals"),
    Route("/staff/approvals/{product_id}", review, methods=["POST"], name="staff_review_product"),
]
