"""What every page shares: templates, CSRF-checked forms, money filters, error pages."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import pass_context
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from kernel import i18n
from kernel.clock import now_utc
from kernel.config import public_url
from kernel.parsing import clean_text
from licensing.labels import display as display_label_code
from orders.cart import Cart
from storefront.media_files import image_src, image_srcset
from storefront.static_files import versioned_url

HERE = Path(__file__).resolve().parent
CSRF_FIELD = "csrf_token"
# No form of ours has a longer field (a view may allow less); longer text is refused whole.
MAX_FORM_FIELD = 4000
MAX_FORM_FIELDS = 200
MAX_PARAM = 200


def now(request: Request) -> datetime:
    """The moment of this request, for every service it calls: read once from the app's
    clock (`app.state.clock`, a callable that tests set to fix the time; the UTC wall clock
    otherwise) and kept on `request.state.now`, so one request never sees two times."""
    moment = getattr(request.state, "now", None)
    if moment is None:
        clock = getattr(request.app.state, "clock", None)
        moment = clock() if clock is not None else now_utc()
        request.state.now = moment
    return moment


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use), for a hidden field in every form."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_matches(request: Request, sent: object) -> bool:
    """Whether `sent` is this session's CSRF token (compared in constant time)."""
    expected = request.session.get("csrf")
    return (
        isinstance(sent, str)
        and isinstance(expected, str)
        and bool(expected)
        and hmac.compare_digest(sent.encode(), expected.encode())
    )


async def read_form(request: Request) -> FormData:
    """The POSTed form, after checking its CSRF token: a missing or wrong token is a 403.

    Every field is text (no file uploads) of at most MAX_FORM_FIELD characters without
    control characters (`kernel.parsing.clean_text`), else the request is refused with
    InvalidInput (a 400); views parse typed values from it with the same helpers."""
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    for name, value in form.multi_items():
        clean_text(name, field="form", max_len=100)
        clean_text(value, field=name, max_len=MAX_FORM_FIELD, strip=False)
    if not csrf_matches(request, form.get(CSRF_FIELD)):
        raise HTTPException(
            403, t(request, "The form expired or did not come from this site. Try again.")
        )
    return form


def path_param(request: Request, name: str, max_len: int = MAX_PARAM) -> str:
    """A path parameter as clean text (`clean_text`; InvalidInput, a 400, otherwise)."""
    return clean_text(request.path_params.get(name), field=name, max_len=max_len)


def query_param(request: Request, name: str, max_len: int = MAX_PARAM) -> str:
    """A query parameter as clean text, "" when absent (InvalidInput, a 400, otherwise)."""
    return clean_text(request.query_params.get(name), field=name, max_len=max_len)


def path_for(request: Request, name: str, /, **path_params: Any) -> str:
    """The path of a named route, for links and redirects: never an absolute URL, which
    would carry whatever Host header the request named."""
    root = str(request.scope.get("root_path", "")).rstrip("/")
    return root + str(request.app.url_path_for(name, **path_params))


@pass_context
def _url_for(context: dict[str, Any], name: str, /, **path_params: Any) -> str:
    return path_for(context["request"], name, **path_params)


@pass_context
def _versioned_static(context: dict[str, Any], name: str) -> str:
    """The URL of a static file that pages name by its version (the favicon)."""
    return versioned_url(path_for(context["request"], "static", path=name), name)


@pass_context
def _absolute_url(context: dict[str, Any], path: str) -> str:
    """An absolute URL for links read off the site (social previews): TIEIN_PUBLIC_URL and
    the path, never the Host header; a URL that is already absolute is kept."""
    if path.startswith(("https://", "http://")):
        return path
    return public_url(context["request"].app.state.settings, path)


def request_language(request: Request) -> str:
    """The shopper's language (kernel.i18n.negotiate: the switcher's cookie, else
    Accept-Language, else English), read once per request and kept on `request.state`."""
    language = getattr(request.state, "language", None)
    if language is None and request.url.path.startswith("/staff"):
        language = request.state.language = i18n.DEFAULT  # the console is English only
    if language is None:
        language = i18n.negotiate(
            request.cookies.get(i18n.COOKIE), request.headers.get("accept-language")
        )
        request.state.language = language
    return language


def this_page(request: Request) -> str:
    """This page's path and query, for the language switcher to come back to."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _context(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    return {
        "lang": request_language(request),
        "switcher_languages": i18n.NATIVE_NAMES,
        "switcher_next": this_page(request),
        "csrf_token": lambda: csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "staff_user": request.session.get("staff_user"),
        "cart_count": Cart.from_session(request.session.get("cart")).count,
        "stripe_is_test": settings.stripe_is_test,
    }


templates = Jinja2Templates(directory=str(HERE / "templates"), context_processors=[_context])
# Links in pages are paths: an absolute URL would carry whatever Host the request named.
templates.env.globals["url_for"] = _url_for
templates.env.globals["absolute_url"] = _absolute_url
templates.env.globals["versioned_static"] = _versioned_static


def local_time(moment: datetime, zone: str, fmt: str = "%a %d %b, %H:%M") -> str:
    """A moment as the clock shows it in `zone` (a cinema's), with the zone's abbreviation."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(fmt)} {local.tzname()}"


def money(minor: int, currency: str) -> str:
    """The `money` filter: a price as the current language writes it (Babel's CLDR data;
    the staff pages render in English)."""
    return i18n.format_price(minor, currency)


def moment(when: datetime, zone: str, with_year: bool = False) -> str:
    """The `moment` filter: a time in `zone` in the current language, the zone named."""
    return i18n.format_moment(when, zone, with_year=with_year)


def day(when: date) -> str:
    """The `day` filter: a calendar day in the current language."""
    return i18n.format_day(when)


templates.env.filters["money"] = money
templates.env.filters["day"] = day
templates.env.filters["moment"] = moment
templates.env.filters["local_time"] = local_time
templates.env.filters["label_code"] = display_label_code
templates.env.globals["image_src"] = image_src  # uploaded images (storefront.media_files)
templates.env.globals["image_srcset"] = image_srcset


# Words of the shop pages: `{{ _("…") }}` and `{% trans %}` look up the request's language
# in storefront/locale (kernel.i18n; English is the text in the template).
LOCALE_DIR = HERE / "locale"
templates.env.add_extension("jinja2.ext.i18n")
_gettext, _ngettext = i18n.gettext_callables(LOCALE_DIR)
templates.env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]

# A variant's option names are the merchant's words ("size"); the usual ones are the shop's
# words too, so shoppers read them in their language. Other names show as the merchant wrote.
OPTION_NAMES = {"size": i18n.N_("size"), "colour": i18n.N_("colour"), "color": i18n.N_("colour")}


def option_names(names: Iterable[str]) -> str:
    """The `option_names` filter: a product's option names in the current language, joined
    with " / " ("size / colour", "サイズ / カラー")."""
    shown = []
    for name in names:
        word = OPTION_NAMES.get(name.strip().lower())
        shown.append(_gettext(word) if word else name)
    return " / ".join(shown)


templates.env.filters["option_names"] = option_names


def t(request: Request, message: str, **variables: Any) -> str:
    """`message` (English, extracted by `make messages` with the keyword t:2) in the
    request's language, for words the shop's Python code says (flashes, form errors)."""
    with i18n.using(request_language(request)):
        return _gettext(message, **variables)


def tn(request: Request, singular: str, plural: str, n: int, **variables: Any) -> str:
    """`t` for a message with a plural (`%(num)s` is `n`), in the request's language."""
    with i18n.using(request_language(request)):
        return _ngettext(singular, plural, n, **variables)


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page in the request's language (the staff console's in English, without the
    language switcher); autoescaping is on for every template, so user text is inert."""
    staff = name.startswith("staff/")
    if staff:
        request.state.language = i18n.DEFAULT
    context.setdefault("lang_switcher", not staff)
    with i18n.using(request_language(request)):
        return templates.TemplateResponse(request, name, context, status_code=status_code)


def render_text(request: Request, name: str, shared: dict[str, Any], **context: Any) -> str:
    """A page's HTML in the request's language, with `shared` over the per-request context
    (storefront.page_cache renders a cacheable page with placeholders for what is per
    session: the CSRF token, the cart count)."""
    with i18n.using(request_language(request)):
        values = {"request": request, "lang_switcher": True, **context, **_context(request)}
        values.update(shared)
        return templates.get_template(name).render(values)
