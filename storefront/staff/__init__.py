"""The staff console (`/staff`): sign-in, films, approvals, agreements, periods, reports, check-in,
refunds, fulfilments, the e-mail outbox. Every view is wrapped in `require_staff`; every
form carries the CSRF token."""

from __future__ import annotations

from storefront.staff import (
    agreements,
    approvals,
    auth,
    campaigns,
    cinemas,
    dashboard,
    documents,
    films,
    forecast,
    fulfilments,
    labels,
    merchant_access,
    merchants,
    outbox,
    periods,
    posters,
    product_photos,
    receivables,
    refunds,
    reports,
    tickets,
)
from storefront.staff.common import format_bps
from storefront.web import templates

# (route name, label) of the staff navigation, in order.
NAV = [
    ("staff_dashboard", "Dashboard"),
    ("staff_films", "Films"),
    ("staff_approvals", "Approvals"),
    ("staff_agreements", "Agreements"),
    ("staff_merchants", "Merchants"),
    ("staff_periods", "Periods"),
    ("staff_receivables", "Receivables"),
    ("staff_reports", "Reports"),
    ("staff_campaigns", "Campaigns"),
    ("staff_forecast", "Forecast"),
    ("staff_check_in", "Check-in"),
    ("staff_orders", "Orders"),
    ("staff_outbox", "Outbox"),
    ("staff_fulfilments", "Fulfilments"),
    ("staff_cinemas", "Cinemas"),
]

staff_routes: list = [
    *auth.routes,
    *dashboard.routes,
    *approvals.routes,
    *documents.routes,
    *agreements.routes,
    *merchants.routes,
    *labels.routes,
    *merchant_access.routes,
    *periods.routes,
    *receivables.routes,
    *reports.routes,
    *forecast.routes,
    *tickets.routes,
    *refunds.routes,
    *outbox.routes,
    *fulfilments.routes,
    *cinemas.routes,
    *campaigns.routes,
    *posters.routes,
    *product_photos.routes,
    *films.routes,
]

templates.env.globals["staff_nav"] = NAV
templates.env.globals["staff_pages"] = frozenset(name for name, _ in NAV)
templates.env.filters["bps"] = format_bps
