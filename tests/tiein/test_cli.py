"""The `tiein` command line: every verb has help, bad input is one clear line, never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from licensing.accounts import hash_token
from tiein.cli import build_parser, main
from tiein.cli.serve import server_config


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def sqlite_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    monkeypatch.setenv("TIEIN_DATABASE_URL", url)
    return url


def test_help_lists_every_verb(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for verb in ("serve", "db", "demo", "token", "staff"):
        assert verb in out


def test_every_subcommand_has_help_text() -> None:
    parser = build_parser()
    verbs = parser._subparsers._group_actions[0]  # argparse keeps them here
    for name, sub in verbs.choices.items():
        assert sub.format_help().strip(), name
        helps = {a.dest: a.help for a in verbs._choices_actions}
        assert helps.get(name), f"verb {name} has no help"


def test_upgrade_then_check_passes(sqlite_env: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["db", "upgrade"], capsys)[0] == 0
    code, out, _ = run(["db", "check"], capsys)
    assert code == 0
    assert "schema matches" in out


def test_unreachable_database_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TIEIN_DATABASE_URL", "postgresql+asyncpg://nobody:secret@127.0.0.1:1/x")
    code, _, err = run(["db", "check"], capsys)
    assert code == 1
    assert err.startswith("tiein: cannot use the database postgresql+asyncpg://nobody:***@")
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_token_create_prints_the_token_once_and_stores_only_its_hash(
    sqlite_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["db", "upgrade"], capsys)[0] == 0
    assert run(["staff", "create", "ana", "--password", "correct horse battery"], capsys)[0] == 0
    code, out, _ = run(["token", "create", "--staff", "ana"], capsys)
    assert code == 0
    token = out.strip()
    assert token.startswith("tie_") and len(token) > 40

    import sqlite3

    rows = sqlite3.connect(sqlite_env.split("///", 1)[1]).execute(
        "SELECT token_hash FROM api_tokens"
    )
    hashes = [r[0] for r in rows]
    assert hashes == [hash_token(token)]
    assert token not in hashes


def test_token_for_an_unknown_merchant_is_refused(
    sqlite_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["db", "upgrade"], capsys)[0] == 0
    code, _, err = run(["token", "create", "--merchant", "nobody"], capsys)
    assert code == 1
    assert err.strip() == "tiein: no merchant 'nobody'; there are none yet"


def test_a_short_staff_password_is_refused_naming_the_field(
    sqlite_env: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["db", "upgrade"], capsys)[0] == 0
    code, _, err = run(["staff", "create", "bob", "--password", "short"], capsys)
    assert code == 2
    assert err.startswith("tiein: INVALID (password):")


def test_serve_trusts_forwarded_addresses_only_from_named_proxies() -> None:
    """Found by a hostile review: serve trusted X-Forwarded-For from loopback, so a local
    client could give every sign-in attempt a new address and never be throttled."""
    plain = server_config(build_parser().parse_args(["serve"]))
    assert plain.proxy_headers is False
    behind = server_config(
        build_parser().parse_args(["serve", "--forwarded-allow-ips", "10.0.0.5,10.0.0.6"])
    )
    assert behind.proxy_headers is True
    assert behind.forwarded_allow_ips == "10.0.0.5,10.0.0.6"
