"""Configuration, read once from environment variables (DESIGN.md §5)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./tiein.db"
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"  # where `tiein serve` listens by default
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAIL_FROM = "tiein <orders@localhost>"
DEFAULT_CLEANING_GAP_MINUTES = 20


def default_media_dir(database_url: str) -> str:
    """Uploaded images go next to a SQLite database file (`./media` beside `tiein.db`);
    with any other database, to `./media`."""
    prefix = "sqlite+aiosqlite:///"
    if database_url.startswith(prefix):
        path = database_url[len(prefix) :].split("?", 1)[0]
        if path and path != ":memory:":
            return os.path.join(os.path.dirname(path) or ".", "media")
    return os.path.join(".", "media")


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    # Empty means "not configured": the installation's own key is used, made on first start
    # and kept in the database (kernel.installation). There is no default key in the source.
    secret_key: str = ""
    currency: str = "USD"
    stripe_secret_key: str = ""
    stripe_publishable_key: str = ""
    stripe_webhook_secret: str = ""
    stripe_api_base: str = ""
    stripe_js_url: str = "https://js.stripe.com/v3/"
    reservation_minutes: int = 15
    graphql_introspection: bool = True
    allowed_hosts: tuple[str, ...] = field(default=("*",))
    https_only: bool = False
    jobs: bool = False  # run the worker in-process (`tiein serve --jobs`)
    jobs_interval: float = 30.0  # seconds between two runs of each periodic job
    worker_poll_interval: float = 1.0  # seconds an idle worker waits before looking again
    # The outbox's back-off: the first retry after `base` seconds, then twice as long each
    # time, never more than `max` apart (until the 3-day horizon, SPEC §8).
    outbox_retry_base: float = 30.0
    outbox_retry_max: float = 6 * 3600.0
    redis_url: str = ""  # shared rate-limit buckets; in process memory when empty
    graphql_budget: int = 50_000  # cost points a caller may hold (0: no budget)
    graphql_restore_rate: int = 2_500  # points given back per second
    # Absolute links that leave the site (e-mails) start with this, never with the Host header.
    public_url: str = DEFAULT_PUBLIC_URL
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    # E-mails to shoppers (SPEC §8): smtp://user:password@host:port (STARTTLS when offered,
    # unless ?starttls=false) or smtps:// (TLS from the start). Empty: `tiein serve` starts
    # the local sink and sets it; a worker without one retries until it is configured.
    smtp_url: str = ""
    mail_from: str = DEFAULT_MAIL_FROM
    # Where the local SMTP sink keeps what it received, for the staff Outbox page ("": none).
    mail_sink_dir: str = ""
    # Merchant webhooks (SPEC §8): private/loopback targets and plain http only for tests and
    # local demos; the retry schedule in seconds (tests run it in milliseconds).
    webhook_allow_private: bool = False
    webhook_first_delay: float = 30.0
    webhook_max_delay: float = 6 * 3600.0
    webhook_horizon: float = 3 * 86400.0
    # The label audit (SPEC §10): a gap of labels against units beyond the larger of
    # `audit_gap_bps` of the labels issued and `audit_gap_min_units` is flagged; a code
    # verified `label_clone_min` times from `label_clone_networks` networks or more, or
    # `label_clone_total` times in all, is flagged as cloned.
    audit_gap_bps: int = 200
    audit_gap_min_units: int = 10
    label_clone_min: int = 5
    label_clone_networks: int = 3
    label_clone_total: int = 20
    # Minutes a screen needs between two showtimes (cleaning, seating): a showtime holds its
    # screen from its start for the film's runtime plus this gap (TIEIN_CLEANING_GAP_MINUTES).
    cleaning_gap_minutes: int = DEFAULT_CLEANING_GAP_MINUTES
    # Uploaded images (TIEIN_MEDIA_DIR; kernel.media): "" means `default_media_dir`.
    media_dir: str = ""

    @property
    def media_path(self) -> str:
        """Where the local media store keeps uploaded images."""
        return self.media_dir or default_media_dir(self.database_url)

    # The licensor named on statement documents (SPEC §10): its name and postal address
    # (lines separated by "|" in TIEIN_STUDIO_ADDRESS).
    studio_name: str = "tiein Studios"
    studio_address: str = ""

    @property
    def stripe_is_test(self) -> bool:
        """True when payments are test payments (localstripe or a Stripe test key)."""
        return bool(self.stripe_api_base) or not self.stripe_secret_key.startswith("sk_live")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build the settings from the environment (or the given mapping)."""
    env = os.environ if environ is None else environ
    hosts = tuple(h.strip() for h in env.get("TIEIN_ALLOWED_HOSTS", "*").split(",") if h.strip())
    return Settings(
        database_url=env.get("TIEIN_DATABASE_URL") or DEFAULT_DATABASE_URL,
        secret_key=env.get("TIEIN_SECRET_KEY", ""),
        currency=(env.get("TIEIN_CURRENCY") or "USD").upper(),
        stripe_secret_key=env.get("STRIPE_SECRET_KEY", ""),
        stripe_publishable_key=env.get("STRIPE_PUBLISHABLE_KEY", ""),
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET", ""),
        stripe_api_base=env.get("STRIPE_API_BASE", "").rstrip("/"),
        stripe_js_url=env.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/",
        reservation_minutes=int(env.get("TIEIN_RESERVATION_MINUTES") or 15),
        graphql_introspection=_bool(env.get("TIEIN_GRAPHQL_INTROSPECTION"), True),
        allowed_hosts=hosts or ("*",),
        https_only=_bool(env.get("TIEIN_HTTPS_ONLY"), False),
        jobs=_bool(env.get("TIEIN_JOBS"), False),
        jobs_interval=float(env.get("TIEIN_JOBS_INTERVAL") or 30),
        worker_poll_interval=float(env.get("TIEIN_WORKER_POLL_INTERVAL") or 1),
        outbox_retry_base=float(env.get("TIEIN_OUTBOX_RETRY_BASE") or 30),
        outbox_retry_max=float(env.get("TIEIN_OUTBOX_RETRY_MAX") or 6 * 3600),
        redis_url=env.get("TIEIN_REDIS_URL", "").strip(),
        graphql_budget=int(env.get("TIEIN_GRAPHQL_BUDGET") or 50_000),
        graphql_restore_rate=int(env.get("TIEIN_GRAPHQL_RESTORE_RATE") or 2_500),
        public_url=(env.get("TIEIN_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/"),
        max_body_bytes=int(env.get("TIEIN_MAX_BODY_BYTES") or DEFAULT_MAX_BODY_BYTES),
        smtp_url=env.get("TIEIN_SMTP_URL", "").strip(),
        mail_from=(env.get("TIEIN_MAIL_FROM") or DEFAULT_MAIL_FROM).strip(),
        mail_sink_dir=env.get("TIEIN_MAIL_SINK_DIR", "").strip(),
        webhook_allow_private=_bool(env.get("TIEIN_WEBHOOK_ALLOW_PRIVATE"), False),
        webhook_first_delay=float(env.get("TIEIN_WEBHOOK_FIRST_DELAY") or 30),
        webhook_max_delay=float(env.get("TIEIN_WEBHOOK_MAX_DELAY") or 6 * 3600),
        webhook_horizon=float(env.get("TIEIN_WEBHOOK_HORIZON") or 3 * 86400),
        audit_gap_bps=int(env.get("TIEIN_AUDIT_GAP_BPS") or 200),
        audit_gap_min_units=int(env.get("TIEIN_AUDIT_GAP_MIN_UNITS") or 10),
        label_clone_min=int(env.get("TIEIN_LABEL_CLONE_MIN") or 5),
        label_clone_networks=int(env.get("TIEIN_LABEL_CLONE_NETWORKS") or 3),
        label_clone_total=int(env.get("TIEIN_LABEL_CLONE_TOTAL") or 20),
        cleaning_gap_minutes=int(
            env.get("TIEIN_CLEANING_GAP_MINUTES") or DEFAULT_CLEANING_GAP_MINUTES
        ),
        media_dir=env.get("TIEIN_MEDIA_DIR", "").strip(),
        studio_name=(env.get("TIEIN_STUDIO_NAME") or "tiein Studios").strip(),
        studio_address=env.get("TIEIN_STUDIO_ADDRESS", "").strip(),
    )


def public_url(settings: Settings, path: str) -> str:
    """An absolute URL of this site for links that leave it (e-mails): TIEIN_PUBLIC_URL and
    `path`, never the Host header of a request."""
    return settings.public_url.rstrip("/") + "/" + path.lstrip("/")
