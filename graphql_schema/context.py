"""What every resolver sees: the viewer, the database, the clock and per-request loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from graphql_schema.loaders import Loaders
from kernel.config import Settings
from kernel.db import Database
from licensing.accounts import Viewer

if TYPE_CHECKING:
    from graphql_schema.loaders import Loaders


@dataclass
class Context:
    """One per request. `loaders` are per request too, so nothing is cached across requests."""

    db: Database
    settings: Settings
    viewer: Viewer
    now: datetime
    request_id: str = ""
    app: Any = None
    _loaders: Loaders | None = field(default=None, repr=False)

    @property
    def loaders(self) -> Loaders:
        if self._loaders is None:
            self._loaders = Loaders(self.db, self.viewer, self.now)
        return self._loaders

    def close(self) -> None:
        """Free what the request's loaders hold, once the response is built."""
        if self._loaders is not None:
            self._loaders.close()
            self._loaders = None

    def reset_loaders(self) -> None:
        """Forget everything loaded so far (after a mutation changed the data)."""
        self._loaders = None
