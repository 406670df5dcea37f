"""Imports every package's models so that `Base.metadata` holds the whole schema."""

from __future__ import annotations

from sqlalchemy import MetaData

import catalog.image_models
import catalog.models  # noqa: F401
import kernel.content_version
import kernel.installation
import kernel.outbox  # noqa: F401
import licensing.alert_models
import licensing.artwork
import licensing.label_models
import licensing.merchants
import licensing.models
import licensing.receivable_models
import licensing.webhooks  # noqa: F401
import orders.addresses
import orders.fulfilment_models
import orders.models
import orders.promotion_models  # noqa: F401
import reports.recommendation_models  # noqa: F401
from kernel.db import Base


def load_all_models() -> MetaData:
    """Register every table on `Base.metadata` and return it (for Alembic and tests)."""
    return Base.metadata
