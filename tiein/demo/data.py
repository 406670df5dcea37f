"""The demo data set's plan: films, partners, agreements, products, bundles, cinemas."""

from __future__ import annotations

from dataclasses import dataclass

SEED = 20261122
DEMO_STAFF = ("staff", "tiein-demo-staff")

FILMS = [
    # slug, title, original title, days from today to release, runtime, rating, franchise
    ("starfall-rising", "Starfall Rising", "", -240, 128, "PG-13", "starfall"),
    ("the-lantern-keeper", "The Lantern Keeper", "", -150, 112, "PG", None),
    ("paper-tigers", "Paper Tigers", "紙の虎", -60, 96, "G", None),
    ("midnight-ferry", "Midnight Ferry", "", -20, 118, "R", None),
    ("harbor-lights", "Harbor Lights", "", -400, 104, "PG", None),
    ("starfall-echoes", "Starfall: Echoes", "", 45, 134, "PG-13", "starfall"),
    ("kaiju-summer", "Kaiju Summer", "怪獣の夏", 80, 101, "PG", None),
]
SYNOPSES = {
    "starfall-rising": "A salvage pilot finds a map to the last working star gate.",
    "the-lantern-keeper": "A girl inherits a lighthouse that guides ships between worlds.",
    "paper-tigers": "Three origami tigers come alive to save a paper shop in Osaka.",
    "midnight-ferry": "Twelve passengers, one ferry, and a crossing that never ends.",
    "harbor-lights": "A fishing town's last summer festival, told by its lighthouse.",
    "starfall-echoes": "The star gate opens again, and something answers back.",
    "kaiju-summer": "A gentle giant surfaces in a seaside town during summer break.",
}

MERCHANTS = [
    ("threadcraft", "Threadcraft Apparel", "US", "licensing@threadcraft.example"),
    ("vinyl-resin", "Vinyl & Resin Collectibles", "HK", "partners@vinylresin.example"),
    ("printhouse", "Printhouse Posters", "JP", "hello@printhouse.example"),
    ("kinoza-goods", "Kinoza Goods", "JP", "shop@kinoza.example"),
]


@dataclass(frozen=True)
class AgreementPlan:
    code: str
    merchant: str
    films: tuple[str, ...]
    categories: tuple[str, ...]
    territories: tuple[str, ...]
    currency: str
    rate_bps: int
    start_days: int  # from today
    end_days: int
    sell_off_days: int = 0
    per_unit_min_minor: int | None = None
    bundle_rate_bps: int | None = None
    tiers: tuple[tuple[int, int], ...] = ()
    advance_minor: int = 0
    minimum_guarantee_minor: int = 0


AGREEMENTS = [
    AgreementPlan(
        "LA-2026-0001", "threadcraft",
        ("starfall-rising", "paper-tigers", "midnight-ferry", "starfall-echoes"),
        ("apparel", "accessories"), ("US", "CA", "GB"), "USD", 1000, -300, 430,
        bundle_rate_bps=800, tiers=((0, 1000), (2_000_000, 1200)),
        advance_minor=300_000, minimum_guarantee_minor=2_500_000,
    ),
    AgreementPlan(
        "LA-2026-0002", "vinyl-resin",
        ("starfall-rising", "the-lantern-keeper", "kaiju-summer", "paper-tigers"),
        ("toys", "collectibles"), ("US", "HK", "CN", "JP"), "USD", 1200, -280, 450,
        per_unit_min_minor=150, minimum_guarantee_minor=1_500_000,
    ),
    AgreementPlan(
        "LA-2025-0003", "printhouse",
        tuple(f[0] for f in FILMS),
        ("posters", "stationery", "home"), ("US", "JP", "KR"), "USD", 1500, -420, -20,
        sell_off_days=120, advance_minor=100_000, minimum_guarantee_minor=900_000,
    ),
    AgreementPlan(
        "LA-2026-0004", "kinoza-goods",
        ("paper-tigers", "kaiju-summer", "the-lantern-keeper"),
        ("apparel", "toys", "stationery"), ("JP",), "JPY", 900, -200, 500,
    ),
]  # fmt: skip

# (agreement code, film slug, category, name, price in minor units, initial stock)
PRODUCTS = [
    ("LA-2026-0001", "starfall-rising", "apparel", "Starfall Rising Gate Logo Tee", 2900, 900),
    ("LA-2026-0001", "starfall-rising", "apparel", "Salvage Crew Hoodie", 6400, 400),
    ("LA-2026-0001", "starfall-rising", "accessories", "Star Map Enamel Pin", 1200, 900),
    ("LA-2026-0001", "paper-tigers", "apparel", "Paper Tigers Origami Tee", 2600, 800),
    ("LA-2026-0001", "paper-tigers", "accessories", "Paper Tigers Tote Bag", 1900, 500),
    ("LA-2026-0001", "midnight-ferry", "apparel", "Midnight Ferry Crew Jacket", 8900, 300),
    # few keyrings: the demand forecast flags them as running out (stock.low, /staff/forecast)
    ("LA-2026-0001", "midnight-ferry", "accessories", "Ferry Ticket Keyring", 900, 110),
    ("LA-2026-0001", "midnight-ferry", "apparel", "Midnight Ferry Poster Tee", 2800, 600),
    ("LA-2026-0002", "starfall-rising", "toys", "Salvage Pilot Action Figure", 3499, 500),
    ("LA-2026-0002", "starfall-rising", "collectibles", "Star Gate 1:500 Replica", 12900, 150),
    ("LA-2026-0002", "starfall-rising", "toys", "Drone Buddy Plush", 1999, 600),
    ("LA-2026-0002", "the-lantern-keeper", "collectibles", "Lantern Music Box", 4500, 250),
    ("LA-2026-0002", "the-lantern-keeper", "toys", "Keeper Mira Figure", 2999, 400),
    ("LA-2026-0002", "paper-tigers", "toys", "Origami Tiger Plush Trio", 3999, 500),
    ("LA-2026-0002", "paper-tigers", "collectibles", "Paper Tigers Vinyl Figure", 2499, 450),
    ("LA-2026-0002", "kaiju-summer", "toys", "Kaiju Bath Toy", 999, 800),
    ("LA-2025-0003", "starfall-rising", "posters", "Starfall Rising Theatrical Poster", 2500, 700),
    ("LA-2025-0003", "starfall-rising", "posters", "Star Gate Art Print", 4000, 300),
    ("LA-2025-0003", "the-lantern-keeper", "posters", "Lantern Keeper Poster", 2200, 500),
    ("LA-2025-0003", "paper-tigers", "posters", "Paper Tigers Poster", 2200, 700),
    ("LA-2025-0003", "paper-tigers", "stationery", "Paper Tigers Notebook Set", 1500, 600),
    ("LA-2025-0003", "midnight-ferry", "posters", "Midnight Ferry One-Sheet", 2400, 600),
    ("LA-2025-0003", "harbor-lights", "posters", "Harbor Lights Festival Poster", 1800, 400),
    ("LA-2025-0003", "harbor-lights", "home", "Harbor Lights Lighthouse Mug", 1600, 500),
    ("LA-2025-0003", "starfall-echoes", "posters", "Starfall: Echoes Teaser Poster", 2500, 400),
    ("LA-2025-0003", "the-lantern-keeper", "home", "Lantern Keeper Night Light", 3200, 300),
    ("LA-2025-0003", "kaiju-summer", "stationery", "Kaiju Summer Sticker Sheet", 600, 900),
    ("LA-2026-0004", "paper-tigers", "apparel", "Paper Tigers Tenugui Towel", 1800, 400),
    ("LA-2026-0004", "paper-tigers", "toys", "Tiger Origami Kit", 1200, 600),
    ("LA-2026-0004", "kaiju-summer", "apparel", "Kaiju Summer Kids Tee", 2500, 300),
    ("LA-2026-0004", "the-lantern-keeper", "stationery", "Lantern Keeper Washi Tape", 600, 800),
    ("LA-2026-0004", "kaiju-summer", "toys", "Kaiju Soft Vinyl", 4800, 200),
]
# Products left in the approval pipeline, by stage reached.
IN_APPROVAL = [
    ("LA-2026-0001", "starfall-echoes", "apparel", "Echoes Signal Tee", 2900, "concept_submitted"),
    ("LA-2026-0002", "kaiju-summer", "collectibles", "Kaiju Statue", 15900, "sample_submitted"),
    ("LA-2026-0001", "starfall-echoes", "accessories", "Echoes Cap", 2400, "changes_requested"),
    ("LA-2025-0003", "kaiju-summer", "posters", "Kaiju Summer Teaser Poster", 2200, "draft"),
]  # fmt: skip

# (code, film, name, price, [(product name, qty)], per-order limit)
BUNDLES = [
    ("BND-STARFALL-TEE", "starfall-rising", "See it, wear it: ticket + Gate Logo Tee",
     3900, [("Starfall Rising Gate Logo Tee", 1)], 4),
    ("BND-STARFALL-COLLECTOR", "starfall-rising", "Collector's night: ticket, figure, poster",
     6900, [("Salvage Pilot Action Figure", 1), ("Starfall Rising Theatrical Poster", 1)], 2),
    ("BND-PAPER-TIGERS-FAMILY", "paper-tigers", "Family matinee: ticket + Origami Tiger plush trio",
     5200, [("Origami Tiger Plush Trio", 1)], 6),
    ("BND-MIDNIGHT-FERRY", "midnight-ferry", "Last crossing: ticket + One-Sheet + keyring",
     3800, [("Midnight Ferry One-Sheet", 1), ("Ferry Ticket Keyring", 1)], 4),
    ("BND-PAPER-TIGERS-TEE", "paper-tigers", "Paper Tigers ticket + Origami Tee",
     3700, [("Paper Tigers Origami Tee", 1)], 4),
]  # fmt: skip

CINEMAS = [
    ("Aurora Picturehouse", "New York", "US", "America/New_York", 1400, "USD"),
    ("Kinoza Shibuya", "Tokyo", "JP", "Asia/Tokyo", 1900, "JPY"),
]
EMAIL_NAMES = ["ana", "ben", "chen", "dara", "eli", "fumi", "gus", "hana", "ivo", "jae", "kim"]
