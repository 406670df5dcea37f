"""Error codes of the licensing rules (SPEC §3-§4)."""

from __future__ import annotations

from enum import StrEnum


class LicensingError(StrEnum):
    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    DUPLICATE = "DUPLICATE"
    INVALID_TERRITORY = "INVALID_TERRITORY"
