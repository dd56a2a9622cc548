"""What the parts of the generator share while they build one portal."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import NamedTuple

from ..records import Record
from .draws import Rng

Link = tuple[str, str, str, str, str]  # from type, from id, to type, to id, association type name


class Contact(NamedTuple):
    """What companies, deals and engagements need to know about a generated contact."""
    record: Record
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
        self.records: dict[str, list[Record]] = {}  # object type -> records in id order
        self.links: list[Link] = []

    def emit(self, object_type: str, record: Record, links: Iterable[tuple[str, str, str]]) -> None:
        """One generated record and its associations (to type, to id, type name), in generation order."""
        self.records.setdefault(object_type, []).append(record)
        self.links += [(object_type, record.id, to_type, to_id, name) for to_type, to_id, name in links]
