"""`tiein merchants list`, `tiein token create --scopes`, and a wrong slug anywhere in the
command line naming the right ones."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from kernel.db import Database
from licensing.accounts import hash_token
from licensing.models import AgreementStatus
from tests.factory import make_agreement, make_film, make_merchant
from tiein.cli import main
from tiein.cli.common import unknown_name


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def cli_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An upgraded SQLite database with three merchants: acme (two active agreements and
    a terminated one), bolt-toys (none), and zeta from Japan (one)."""
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("TIEIN_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0

    async def fill() -> None:
        db = Database(url)
        try:
            async with db.session() as session:
                film = await make_film(session, slug="star-harbor")
                acme = await make_merchant(session, slug="acme", name="Acme Apparel")
                await make_merchant(session, slug="bolt-toys", name="Bolt Toys", country="GB")
                zeta = await make_merchant(session, slug="zeta", name="Zeta 株式会社",
                                           country="JP")  # fmt: skip
                for merchant, status in ((acme, AgreementStatus.ACTIVE),
                                         (acme, AgreementStatus.ACTIVE),
                                         (acme, AgreementStatus.TERMINATED),
                                         (zeta, AgreementStatus.ACTIVE)):  # fmt: skip
                    await make_agreement(session, merchant_id=merchant.id, film_ids=[film.id],
                                         status=status)  # fmt: skip
        finally:
            await db.dispose()

    asyncio.run(fill())
    return url


def _tokens(url: str) -> list[tuple[str, str]]:
    path = url.split("///", 1)[1]
    rows = sqlite3.connect(path).execute("SELECT token_hash, scopes FROM api_tokens ORDER BY id")
    return [(r[0], r[1]) for r in rows]


def test_merchants_list_prints_slug_name_country_and_active_agreements(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["merchants", "list"], capsys)
    assert code == 0 and err == ""
    assert out.splitlines() == [
        "SLUG       NAME          COUNTRY  ACTIVE AGREEMENTS",
        "acme       Acme Apparel  US                       2",
        "bolt-toys  Bolt Toys     GB                       0",
        "zeta       Zeta 株式会社     JP                       1",
    ]


def test_merchants_list_of_an_empty_installation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIEIN_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/empty.db")
    assert run(["db", "upgrade"], capsys)[0] == 0
    assert run(["merchants", "list"], capsys) == (0, "no merchants yet\n", "")


def test_token_create_with_scopes_stores_them_and_only_the_hash(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["token", "create", "--merchant", "acme", "--scopes", "read"], capsys)
    assert code == 0
    secret = out.strip()
    assert "Scopes: read." in err
    code, out, _ = run(["token", "create", "--merchant", "ACME", "--scopes", "tokens, read"],
                       capsys)  # fmt: skip
    assert code == 0
    default_code, default_out, _ = run(["token", "create", "--merchant", "zeta"], capsys)
    assert default_code == 0
    assert _tokens(cli_db) == [(hash_token(secret), "read"),
                               (hash_token(out.strip()), "read,tokens"),
                               (hash_token(default_out.strip()), "read,write")]  # fmt: skip


def test_token_create_refuses_unknown_scopes_and_narrow_staff_tokens(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["token", "create", "--merchant", "acme", "--scopes", "read,admin"], capsys)
    assert code == 2
    assert err.strip() == (
        "tiein: INVALID (scopes): Unknown scope 'admin'; the scopes are read,write,tokens."
    )
    code, _, err = run(["token", "create", "--merchant", "acme", "--scopes", ","], capsys)
    assert code == 2 and "at least one scope" in err
    assert run(["staff", "create", "ana", "--password", "correct horse battery"], capsys)[0] == 0
    code, _, err = run(["token", "create", "--staff", "ana", "--scopes", "read"], capsys)
    assert code == 2 and err.strip() == "tiein: INVALID (scopes): A staff token holds every scope."
    code, _, err = run(["token", "create", "--staff", "ana"], capsys)
    assert code == 0 and "Scopes: read,write,tokens." in err
    assert [scopes for _, scopes in _tokens(cli_db)] == ["read,write,tokens"]


def test_a_wrong_merchant_slug_names_the_known_ones(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["token", "create", "--merchant", "acne"], capsys)
    assert (code, out) == (1, "")
    assert err.strip() == "tiein: no merchant 'acne'; known: acme, bolt-toys, zeta"
    assert _tokens(cli_db) == []


def test_a_wrong_film_slug_names_the_known_ones(
    cli_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(["showtimes", "star-harbour"], capsys)
    assert code == 1
    assert err.strip() == "tiein: no film 'star-harbour'; known: star-harbor"


def test_many_known_names_give_the_closest_ones() -> None:
    known = [f"shop-{n:02d}" for n in range(20)] + ["acme-apparel"]
    error = unknown_name("merchant", "acme-aparel", known, listing="tiein merchants list")
    assert str(error) == (
        "no merchant 'acme-aparel'; closest: acme-apparel (tiein merchants list lists all 21)"
    )
    far = unknown_name("merchant", "zzz", known)
    assert str(far).startswith("no merchant 'zzz'; known: acme-apparel, shop-00, shop-01,")
    assert str(far).endswith(" (21 in all)")
