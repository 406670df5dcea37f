"""The form of a new agreement: text in, the typed keyword arguments of `create_agreement`
out. Rates are typed as percentages ("8.5") and stored as basis points (850); rate tiers are
rows of a small table (a threshold amount and a rate). Every rule about the values themselves
stays with `create_agreement`; this module only refuses text that is not a value at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from kernel.errors import Checks, DomainError
from kernel.money import check_currency, parse_amount
from kernel.parsing import MAX_ID, parse_id, parse_int
from licensing.codes import LicensingError
from licensing.models import AgreementStatus

# A percentage as people type it: "8", "8.5", "12.50", optionally with a "%" sign. Digits
# only (no exponents, no signs, no thousands separators), so Decimal sees a plain number.
_PERCENT = re.compile(r"^(\d{1,3})(?:\.(\d+))?\s*%?$", re.ASCII)
BPS_PER_PERCENT = 100
MAX_TIER_ROWS = 10
BLANK_TIER_ROWS = 2  # rows offered beyond the filled ones, so a form can grow without JS


def parse_percent_bps(text: str, *, field: str) -> int:
    """ "8.5" (or "8.5 %") → 850 basis points, exactly (Decimal, never a float).

    Refuses anything but a plain number from 0 to 100 with at most two decimals (a basis
    point is a hundredth of a percent, so a third decimal could not be stored)."""
    shown = text.strip()
    match = _PERCENT.match(shown)
    if not match:
        raise DomainError(
            LicensingError.INVALID_RATE,
            f"{shown[:20]!r} is not a percentage; write a number like 8.5 (for 8.5 %).",
            field,
        )
    decimals = match.group(2) or ""
    if len(decimals) > 2:
        raise DomainError(
            LicensingError.INVALID_RATE,
            f"{shown!r} has {len(decimals)} decimals; a rate has two at most (8.25 %).",
            field,
        )
    percent = Decimal(f"{match.group(1)}.{decimals or '0'}")
    if percent > 100:
        raise DomainError(LicensingError.INVALID_RATE, f"{shown!r} is more than 100 %.", field)
    return int(percent * BPS_PER_PERCENT)  # exact: at most two decimals


def percent_text(bps: int) -> str:
    """Basis points as the text the rate fields take: 850 → "8.5", 1200 → "12"."""
    whole, rest = divmod(bps, BPS_PER_PERCENT)
    return f"{whole}" if not rest else f"{whole}.{rest:02d}".rstrip("0")


def tier_rows(thresholds: Sequence[str], rates: Sequence[str]) -> list[tuple[str, str]]:
    """The (threshold, rate) text of each submitted row, in order, padded to equal length."""
    count = min(max(len(thresholds), len(rates)), MAX_TIER_ROWS + BLANK_TIER_ROWS)
    padded = [*thresholds, *[""] * count][:count], [*rates, *[""] * count][:count]
    return list(zip(*padded, strict=True))


def parse_tiers(rows: Sequence[tuple[str, str]], currency: str) -> list[tuple[int, int]]:
    """Rows of (threshold amount, rate in percent) → [(threshold minor, rate bps)].

    A blank row is skipped; every other row must have both values. Each bad row is refused
    on its own (field `tiers.N`, N counted from 1), all of them in one answer."""
    tiers: list[tuple[int, int]] = []
    checks = Checks()
    filled = [(n, t.strip(), r.strip()) for n, (t, r) in enumerate(rows, start=1)]
    filled = [(n, t, r) for n, t, r in filled if t or r]
    if len(filled) > MAX_TIER_ROWS:
        raise DomainError(
            LicensingError.INVALID_TIERS, f"At most {MAX_TIER_ROWS} rate tiers.", "tiers"
        )
    for n, threshold, rate in filled:
        field = f"tiers.{n}"
        with checks:
            if not threshold or not rate:
                missing = "threshold" if not threshold else "rate"
                raise DomainError(
                    LicensingError.INVALID_TIERS,
                    f"Tier row {n}: give a {missing} too, or clear the row.",
                    field,
                )
            try:
                amount = parse_amount(threshold, currency, field=field)
                bps = parse_percent_bps(rate, field=field)
            except DomainError as error:
                raise DomainError(
                    LicensingError.INVALID_TIERS, f"Tier row {n}: {error.message}", field
                ) from None
            tiers.append((amount, bps))
    checks.done()
    return tiers


def _int(text: str, field: str) -> int:
    """A whole number of the form (32-bit, as the columns are); the service checks ranges."""
    return parse_int(text, field=field, min=-MAX_ID, max=MAX_ID)


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise DomainError(
            LicensingError.INVALID_TERM, f"{text!r} is not a date like 2026-07-01.", field
        ) from None


def _amount(text: str, currency: str, field: str, *, optional: bool = False) -> int | None:
    text = text.strip()
    if optional and not text:
        return None
    return parse_amount(text or "0", currency, field=field)


def agreement_input(form: dict[str, object], lists: dict[str, list[str]]) -> dict[str, object]:
    """The keyword arguments of `create_agreement` from the submitted form; every field that
    is not a value of its kind is refused in one answer (DomainErrors)."""
    text = {k: str(v) for k, v in form.items()}
    checks = Checks()
    out: dict[str, object] = {"code": text.get("code", "")}
    currency = ""
    with checks:
        currency = check_currency(text.get("currency", ""))
    out["currency"] = currency
    with checks:
        out["merchant_id"] = parse_id(text.get("merchant_id", ""), field="merchant")
    with checks:
        out["film_ids"] = [parse_id(f, field="films") for f in lists["film_ids"]]
    out["categories"] = lists["categories"]
    out["channels"] = lists["channels"]
    out["territories"] = [t.upper() for t in text.get("territories", "").replace(",", " ").split()]
    with checks:
        out["start_date"] = _date(text.get("start_date", ""), "startDate")
    with checks:
        out["end_date"] = _date(text.get("end_date", ""), "endDate")
    with checks:
        out["sell_off_days"] = _int(text.get("sell_off_days", "") or "0", "sellOffDays")
    with checks:
        out["rate_bps"] = parse_percent_bps(text.get("rate_percent", ""), field="rateBps")
    with checks:
        bundle = text.get("bundle_rate_percent", "").strip()
        out["bundle_rate_bps"] = (
            parse_percent_bps(bundle, field="bundleRateBps") if bundle else None
        )
    if currency:
        with checks:
            out["per_unit_min_minor"] = _amount(
                text.get("per_unit_min", ""), currency, "perUnitMin", optional=True
            )
        with checks:
            rows = tier_rows(lists["tier_threshold"], lists["tier_rate"])
            out["tiers"] = parse_tiers(rows, currency)
        with checks:
            out["advance_minor"] = _amount(text.get("advance", ""), currency, "advance")
        with checks:
            out["minimum_guarantee_minor"] = _amount(
                text.get("minimum_guarantee", ""), currency, "minimumGuarantee"
            )
    checks.done()
    out["status"] = (
        AgreementStatus.ACTIVE if text.get("status") == "active" else AgreementStatus.DRAFT
    )
    return out
