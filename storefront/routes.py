"""The storefront's and the staff area's routes, declared as data."""

from __future__ import annotations

from starlette.routing import Mount

from storefront import label_downloads
from storefront.media_files import routes as media_routes
from storefront.shop import routes as shop_routes
from storefront.staff import staff_routes
from storefront.static_files import PackageStaticFiles
from storefront.web import HERE

routes: list = [
    Mount("/static", app=PackageStaticFiles(HERE / "static"), name="static"),
    *media_routes,
    *shop_routes,
    *staff_routes,
    *label_downloads.routes,
]
