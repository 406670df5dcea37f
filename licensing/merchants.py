"""Licensee partners (SPEC §3): onboarding a merchant, its details and its contacts.

The rules:

- A merchant has a unique slug (3-80 lowercase letters, digits, dashes; it names the merchant
  in URLs and on the command line and never changes), a name unique whatever its case, and a
  country (an assigned ISO 3166-1 alpha-2 code, `kernel.countries`).
- It has one to MAX_CONTACTS contacts, each with a name, an e-mail address (as
  `kernel.emails.normalize_email` keeps it) and a role: `licensing` (agreements and
  approvals), `finance` (statements and payment reminders go there) or `operations`
  (fulfilment and webhooks). One address holds one role once.
- `merchants.contact_email` stays the merchant's main address (the one messages that name no
  role go to): its first licensing contact's, else its first contact's. Callers that knew
  only that address keep working: `contact_email=` alone makes one licensing contact.
- Every bad field is refused at once (`kernel.errors.Checks`), naming it (`contacts.2.email`);
  nothing is stored when anything is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement

from kernel.countries import check_country
from kernel.db import Base
from kernel.emails import InvalidEmail, normalize_email
from kernel.errors import Checks, DomainError
from licensing.codes import LicensingError
from licensing.models import Agreement, Merchant

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,78}[a-z0-9]$")
RESERVED_SLUGS = frozenset({"new"})  # /staff/merchants/new is the onboarding form
NAME_MAX = 200
MAX_CONTACTS = 10


class ContactRole(StrEnum):
    """What a merchant's contact is reached for."""

    LICENSING = "licensing"
    FINANCE = "finance"
    OPERATIONS = "operations"


ROLES = tuple(role.value for role in ContactRole)


class MerchantContact(Base):
    """A person at a merchant, reached by e-mail for one role."""

    __tablename__ = "merchant_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the order they were given in
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(20))


@dataclass(frozen=True)
class ContactInput:
    """A contact as given (text, unchecked)."""

    name: object
    email: object
    role: object


@dataclass(frozen=True)
class Contact:
    """A checked contact."""

    name: str
    email: str
    role: ContactRole


def suggest_slug(name: str) -> str:
    """A slug made from a name: accents dropped, lower case, words joined by dashes
    ("Café Ōsaka Ltd." → "cafe-osaka-ltd"); "" when the name has no Latin letters or digits."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")[:80].strip("-")


def check_slug(slug: object) -> str:
    text = slug.strip().lower() if isinstance(slug, str) else ""
    if not SLUG.match(text):
        raise DomainError(
            LicensingError.INVALID,
            "Use 3-80 lowercase letters, digits and dashes for the slug, e.g. acme-toys.",
            "slug",
        )
    if text in RESERVED_SLUGS:
        raise DomainError(LicensingError.INVALID, f"The slug {text!r} is reserved.", "slug")
    return text


def check_name(name: object, field: str = "name", what: str = "A merchant") -> str:
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > NAME_MAX or not text.isprintable():
        raise DomainError(
            LicensingError.INVALID,
            f"{what} needs a name of at most {NAME_MAX} printable characters.",
            field,
        )
    return text


def check_email(email: object, field: str) -> str:
    try:
        if not isinstance(email, str):
            raise InvalidEmail("not text")
        return normalize_email(email)
    except InvalidEmail:
        shown = repr(email)[:60] if isinstance(email, str) and email.isprintable() else "This"
        raise DomainError(
            LicensingError.INVALID, f"{shown} is not an e-mail address.", field
        ) from None


def check_contacts(contacts: Sequence[ContactInput], field: str = "contacts") -> list[Contact]:
    """The contacts checked, in order: one to MAX_CONTACTS, each with a name, an address and
    a known role, an address holding a role once. Every bad one is named (`contacts.N.email`)."""
    if not contacts:
        raise DomainError(LicensingError.INVALID, "Give at least one contact.", field)
    if len(contacts) > MAX_CONTACTS:
        raise DomainError(LicensingError.INVALID, f"Give at most {MAX_CONTACTS} contacts.", field)
    checks = Checks()
    found: list[Contact] = []
    for n, given in enumerate(contacts, start=1):
        name = email = role = None
        with checks:
            name = check_name(given.name, f"{field}.{n}.name", f"Contact {n}")
        with checks:
            email = check_email(given.email, f"{field}.{n}.email")
        with checks:
            if given.role not in ROLES:
                raise DomainError(
                    LicensingError.INVALID,
                    f"Choose contact {n}'s role: {', '.join(ROLES)}.",
                    f"{field}.{n}.role",
                )
            role = ContactRole(str(given.role))
        if name is not None and email is not None and role is not None:
            with checks:
                if any(c.email.lower() == email.lower() and c.role == role for c in found):
                    raise DomainError(
                        LicensingError.DUPLICATE,
                        f"Contact {n} repeats {email} as the {role.value} contact.",
                        f"{field}.{n}.email",
                    )
            found.append(Contact(name, email, role))
    checks.done()
    return found


def main_email(contacts: Sequence[Contact]) -> str:
    """The merchant's main address: its first licensing contact's, else its first one's."""
    licensing = [c for c in contacts if c.role == ContactRole.LICENSING]
    return (licensing or list(contacts))[0].email


async def _check_unique(
    session: AsyncSession, *, slug: str | None, name: str, merchant_id: int | None = None
) -> None:
    checks = Checks()
    with checks:
        if slug is not None and await session.scalar(
            select(Merchant.id).where(Merchant.slug == slug)
        ):
            raise DomainError(
                LicensingError.DUPLICATE, f"A merchant {slug!r} exists already.", "slug"
            )
    with checks:
        query = select(Merchant.id).where(func.lower(Merchant.name) == name.lower())
        if merchant_id is not None:
            query = query.where(Merchant.id != merchant_id)
        if await session.scalar(query):
            raise DomainError(
                LicensingError.DUPLICATE, f"A merchant named {name!r} exists already.", "name"
            )
    checks.done()


async def _store_contacts(
    session: AsyncSession, merchant_id: int, contacts: Sequence[Contact]
) -> list[MerchantContact]:
    rows = [
        MerchantContact(
            merchant_id=merchant_id, position=n, name=c.name, email=c.email, role=c.role.value
        )
        for n, c in enumerate(contacts, start=1)
    ]
    session.add_all(rows)
    await session.flush()
    return rows


async def create_merchant(
    session: AsyncSession,
    *,
    slug: object,
    name: object,
    country: object,
    contact_email: object = None,
    contacts: Sequence[ContactInput] | None = None,
) -> Merchant:
    """Onboard a licensee partner with its contacts (see the module's rules). Give either
    `contacts` or, as callers before contacts did, `contact_email` alone (one licensing
    contact named after the merchant); not both."""
    checks = Checks()
    slug_ = name_ = country_ = None
    found: list[Contact] = []
    with checks:
        slug_ = check_slug(slug)
    with checks:
        name_ = check_name(name)
    with checks:
        country_ = check_country(country, code=LicensingError.INVALID_TERRITORY, field="country")
    with checks:
        if contacts is not None and contact_email is not None:
            raise DomainError(
                LicensingError.INVALID,
                "Give the contacts, or one contact e-mail, not both.",
                "contactEmail",
            )
        if contacts is None and contact_email is None:
            raise DomainError(LicensingError.INVALID, "Give at least one contact.", "contacts")
        if contacts is None:
            email = check_email(contact_email, "contactEmail")
            found = [Contact(name_ or "Licensing", email, ContactRole.LICENSING)]
        else:
            found = check_contacts(contacts)
    if slug_ is not None and name_ is not None:
        with checks:
            await _check_unique(session, slug=slug_, name=name_)
    checks.done()
    assert slug_ and name_ and country_
    merchant = Merchant(slug=slug_, name=name_, country=country_, contact_email=main_email(found))
    try:
        # Two onboardings of one slug at once both pass the check above; the unique index
        # lets one in and the other becomes the same refusal, not a server error.
        async with session.begin_nested():
            session.add(merchant)
    except IntegrityError:
        raise DomainError(
            LicensingError.DUPLICATE, f"A merchant {slug_!r} exists already.", "slug"
        ) from None
    await _store_contacts(session, merchant.id, found)
    return merchant


async def update_merchant(
    session: AsyncSession,
    merchant_id: int,
    *,
    name: object = None,
    country: object = None,
    contacts: Sequence[ContactInput] | None = None,
) -> Merchant:
    """Change a merchant's name, country or contacts (None: unchanged). The contacts given
    replace all of its contacts. The slug never changes. Unknown merchant: NOT_FOUND."""
    merchant = await session.scalar(
        select(Merchant).where(Merchant.id == merchant_id).with_for_update()
    )
    if merchant is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such merchant.", "id")
    checks = Checks()
    name_ = country_ = None
    found: list[Contact] | None = None
    with checks:
        if name is not None:
            name_ = check_name(name)
            await _check_unique(session, slug=None, name=name_, merchant_id=merchant.id)
    with checks:
        if country is not None:
            country_ = check_country(
                country, code=LicensingError.INVALID_TERRITORY, field="country"
            )
    with checks:
        if contacts is not None:
            found = check_contacts(contacts)
    checks.done()
    if name_ is not None:
        merchant.name = name_
    if country_ is not None:
        merchant.country = country_
    if found is not None:
        await session.execute(
            delete(MerchantContact).where(MerchantContact.merchant_id == merchant.id)
        )
        await _store_contacts(session, merchant.id, found)
        merchant.contact_email = main_email(found)
    await session.flush()
    return merchant


async def contacts_of(session: AsyncSession, merchant_id: int) -> list[MerchantContact]:
    """A merchant's contacts, in the order they were given."""
    rows = await session.scalars(
        select(MerchantContact)
        .where(MerchantContact.merchant_id == merchant_id)
        .order_by(MerchantContact.position, MerchantContact.id)
    )
    return list(rows)


def email_for(role: ContactRole) -> ColumnElement[str]:
    """A column of the address to write to a merchant about `role` (select it beside
    `Merchant`): its first contact with that role, else its main address."""
    first = (
        select(MerchantContact.email)
        .where(MerchantContact.merchant_id == Merchant.id, MerchantContact.role == role.value)
        .order_by(MerchantContact.position, MerchantContact.id)
        .limit(1)
        .correlate(Merchant)
        .scalar_subquery()
    )
    return func.coalesce(first, Merchant.contact_email)


async def agreement_for_finance(
    session: AsyncSession, agreement_id: int
) -> tuple[Agreement, Merchant, str | None] | None:
    """The agreement, its merchant and the address to write to about its money (the
    merchant's first finance contact, else its main address); None for no such agreement."""
    row = (
        await session.execute(
            select(Agreement, Merchant, email_for(ContactRole.FINANCE))
            .join(Merchant, Merchant.id == Agreement.merchant_id)
            .where(Agreement.id == agreement_id)
        )
    ).first()
    return None if row is None else (row[0], row[1], row[2])


async def merchant_by_slug(session: AsyncSession, slug: str) -> Merchant:
    """The merchant with `slug` (any case); NOT_FOUND otherwise."""
    merchant = await session.scalar(
        select(Merchant).where(Merchant.slug == slug.strip().lower()[:80])
    )
    if merchant is None:
        raise DomainError(LicensingError.NOT_FOUND, "No such merchant.", "slug")
    return merchant
