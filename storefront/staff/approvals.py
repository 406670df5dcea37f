"""The approvals queue: products waiting for a concept or sample review, each with the
artwork of its submission beside its history (who by name, and the comment thread), and a
side-by-side comparison with the previous submission."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from catalog.models import ApprovalStage, Film, Product
from kernel.errors import DomainError
from kernel.parsing import clean_text, parse_id
from licensing.approvals import review_product
from licensing.artwork import actor_names, artwork_of_reviews
from licensing.models import Merchant, ProductReview, ReviewAction
from storefront.staff.auth import require_staff, staff_name
from storefront.staff.common import flash, flash_error, page
from storefront.web import now, path_for, read_form

AWAITING_REVIEW = (ApprovalStage.CONCEPT_SUBMITTED, ApprovalStage.SAMPLE_SUBMITTED)
DECISIONS = {
    "approve": "approved",
    "request_changes": "sent back for changes",
    "reject": "rejected",
}


async def _steps(session: AsyncSession, reviews: list[ProductReview]) -> list[dict]:
    """History entries as the pages show them: the actor's name and the artwork."""
    names = await actor_names(session, (r.actor for r in reviews))
    artwork = await artwork_of_reviews(session, (r.id for r in reviews))
    return [
        {"review": r, "who": names.get(r.actor, r.actor), "artwork": artwork.get(r.id, [])}
        for r in reviews
    ]


def _submissions(steps: list[dict]) -> list[dict]:
    return [s for s in steps if s["review"].action == ReviewAction.SUBMIT]


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
        history: dict[int, list[dict]] = defaultdict(list)
        if rows:
            reviews = await session.scalars(
                select(ProductReview)
                .where(ProductReview.product_id.in_([p.id for p, _, _ in rows]))
                .order_by(ProductReview.created_at, ProductReview.id)
            )
            for step in await _steps(session, list(reviews)):
                history[step["review"].product_id].append(step)
    items = []
    for p, m, f in rows:
        submissions = _submissions(history[p.id])
        items.append(
            {
                "product": p, "merchant": m, "film": f, "history": history[p.id],
                "current": submissions[-1] if submissions else None,
                "can_compare": len(submissions) > 1,
            }
        )  # fmt: skip
    return page(request, "staff/approvals.html", items=items)


@require_staff
async def compare(request: Request) -> Response:
    """This submission beside the previous one: their artwork and comments, and what the
    reviewers said in between."""
    product_id = parse_id(request.path_params["product_id"], field="product_id")
    async with request.app.state.db.read_session() as session:
        product = await session.get(Product, product_id)
        if product is None:
            raise HTTPException(404, "No such product.")
        reviews = await session.scalars(
            select(ProductReview)
            .where(ProductReview.product_id == product_id)
            .order_by(ProductReview.created_at, ProductReview.id)
        )
        steps = await _steps(session, list(reviews))
    submissions = _submissions(steps)
    current = submissions[-1] if submissions else None
    previous = submissions[-2] if len(submissions) > 1 else None
    between = []
    if current is not None and previous is not None:
        start = next(i for i, s in enumerate(steps) if s is previous)
        end = next(i for i, s in enumerate(steps) if s is current)
        between = steps[start + 1 : end]
    return page(
        request, "staff/approval_compare.html", product=product, current=current,
        previous=previous, between=between,
    )  # fmt: skip


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
    Route(
        "/staff/approvals/{product_id}/compare",
        compare,
        methods=["GET"],
        name="staff_compare_submissions",
    ),
]
