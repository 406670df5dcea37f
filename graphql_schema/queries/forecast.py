"""`demandForecast(filmId)` (SPEC §9): the merch demand forecast of a film showing in the
next 14 days, read by staff (every product) and merchants (their own products only; the
shares behind the figures are still over all of the film's products). The method is written
down in reports/forecast.py. Costs the loader's 5 statements plus the products' batch."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import graphene

from catalog.models import Film as FilmModel
from catalog.models import Product as ProductModel
from graphql_schema import types as t
from graphql_schema.auth import MERCHANT_READ, requires
from graphql_schema.relay import decode_id
from reports.forecast import HISTORY_DAYS, PACE_DAYS, PRESALE_LIFT, WINDOW_DAYS
from reports.forecast_loader import FilmForecast, ForecastRow, load_forecast

METHOD = (
    f"Tickets the film is expected to sell over the next {WINDOW_DAYS} days (its pace over "
    f"the last {PACE_DAYS} days carried forward by its growth, at least {PRESALE_LIFT:g} "
    "times the tickets already sold for the window) times the film's merch units per ticket "
    f"over {HISTORY_DAYS} days (shrunk toward the all-films average) times the product's "
    "share of the film's merch."
)


def _decimal(value: float, places: int) -> Decimal:
    """A forecast figure as a decimal string (the API has no floats)."""
    return Decimal(f"{value:.{places}f}")


class ProductForecast(graphene.ObjectType):
    """One product's expected demand over the window, against its stock."""

    product = graphene.Field(graphene.NonNull(t.Product), description="The product.")
    expected_units = graphene.Decimal(
        required=True,
        description="Units expected to sell over the window (a forecast, 2 decimals).",
    )
    available = graphene.Int(
        required=True, description="Stock on hand minus live reservations (what can sell)."
    )
    reserved = graphene.Int(
        required=True, description="Units held by live reservations (already out of stock)."
    )
    attach_rate = graphene.Decimal(
        required=True, description="The film's merch units per ticket used (shrunk)."
    )
    share = graphene.Decimal(
        required=True, description="The product's share of the film's merch units (shrunk)."
    )
    stock_out = graphene.Boolean(
        required=True, description="Whether expected units exceed the available stock."
    )

    @staticmethod
    def resolve_product(root: ForecastRow, info: Any) -> Any:
        return info.context.loaders.load(ProductModel, root.product_id)

    @staticmethod
    def resolve_expected_units(root: ForecastRow, info: Any) -> Decimal:
        return _decimal(root.forecast.expected_units, 2)

    @staticmethod
    def resolve_available(root: ForecastRow, info: Any) -> int:
        return root.stock

    @staticmethod
    def resolve_attach_rate(root: ForecastRow, info: Any) -> Decimal:
        return _decimal(root.forecast.attach_rate, 4)

    @staticmethod
    def resolve_share(root: ForecastRow, info: Any) -> Decimal:
        return _decimal(root.forecast.share, 4)

    @staticmethod
    def resolve_stock_out(root: ForecastRow, info: Any) -> bool:
        return root.forecast.stock_out


class DemandForecast(graphene.ObjectType):
    """A film's merch demand forecast from today (UTC)."""

    film = graphene.Field(graphene.NonNull(t.Film), description="The film.")
    window_start = graphene.Date(required=True, description="The first day of the window.")
    window_days = graphene.Int(required=True, description="The window's length in days.")
    showtimes = graphene.Int(
        required=True, description="Showtimes in the window (none: no forecast rows)."
    )
    method = graphene.String(required=True, description="How the figures are made.")
    products = graphene.List(
        graphene.NonNull(ProductForecast),
        required=True,
        description="The film's approved products you may see, by id (a film has few).",
    )

    @staticmethod
    def resolve_film(root: FilmForecast, info: Any) -> Any:
        return info.context.loaders.load(FilmModel, root.film_id)

    @staticmethod
    def resolve_window_start(root: FilmForecast, info: Any) -> Any:
        return root.origin

    @staticmethod
    def resolve_window_days(root: FilmForecast, info: Any) -> int:
        return WINDOW_DAYS

    @staticmethod
    def resolve_method(root: FilmForecast, info: Any) -> str:
        return METHOD

    @staticmethod
    def resolve_products(root: FilmForecast, info: Any) -> list[ForecastRow]:
        return root.rows


class ForecastQueries(graphene.ObjectType):
    """Merch demand forecasts."""

    demand_forecast = graphene.Field(
        DemandForecast,
        film_id=graphene.ID(required=True, description="The film's global ID."),
        description=f"A film's merch demand over the next {WINDOW_DAYS} days per licensed "
        "product, with stock and a stock-out flag (staff: every product; a merchant: its "
        "own). Null for an unknown film.",
    )

    @staticmethod
    @requires(MERCHANT_READ)
    async def resolve_demand_forecast(root: Any, info: Any, film_id: str) -> Any:
        decoded = decode_id(film_id, "Film")
        if decoded is None:
            return None
        ctx = info.context
        merchants = None if ctx.viewer.is_staff else [ctx.viewer.merchant_id]
        async with ctx.read_session() as session:
            return await load_forecast(session, decoded[1], now=ctx.now, merchant_ids=merchants)
