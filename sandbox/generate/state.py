"""What the parts of the generator share while they build one portal."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from .draws import Rng


class Contact(NamedTuple):
    """What companies, deals and engagements need to know about a generated contact."""
    record: dict[str, Any]
    stage: str
    owner: int  # index into owners, -1 if none
    created: int
    assigned: int | None
    when: dict[str, int]  # stage -> latest entry time
    company: int  # index into companies, -1 if none
    archived: bool


class Draft:
    """The state of one generation: each part reads what the parts before it made."""

    def __init__(self, rng: Rng, n_contacts: int, n_companies: int) -> None:
        self.rng, self.n_contacts, self.n_companies = rng, n_contacts, n_companies
        self.contacts: list[Contact] = []
        self.members: list[list[int]] = [[] for _ in range(n_companies)]  # contacts per company
        self.contact_deal: dict[int, str] = {}
        self.owner_ids: list[str] = []
        self.windows: list[tuple[int, int, str]] = []  # campaign (start, end, guid)
        self.company_names: list[str] = []
        self.domains: list[str] = []
        self.pick_final: Callable[[], str] = str
        self.pick_start: Callable[[], str] = str
