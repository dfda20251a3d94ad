"""A team library on the session's real PostgreSQL: the owner's store and members' logins."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from streamimages_desktop.core.team_members import Level, add_member
from streamimages_desktop.core.team_store import TeamStore

MemberFactory = Callable[[Level, bool], str]


def login_url(admin_url: str, user: str, password: str) -> str:
    """`admin_url` with another login (same server and database)."""
    parts = urlsplit(admin_url)
    netloc = f"{user}:{password}@{parts.hostname}:{parts.port}"
    return urlunsplit(parts._replace(netloc=netloc))


@pytest.fixture
def member_url(postgres_url: str) -> MemberFactory:
    """Makes a member (a new LOGIN role) at `level`; returns its own database URL."""

    def make(level: Level, can_edit: bool) -> str:
        name = f"m_{level[:3]}_{uuid.uuid4().hex[:10]}"
        return login_url(postgres_url, name, add_member(postgres_url, name, level, can_edit))

    return make


@pytest.fixture
def team(postgres_url: str) -> Iterator[TeamStore]:
    """The owner's TeamStore (the admin who ran team_init; limit 50 per stream)."""
    store = TeamStore(postgres_url)
    yield store
    store.close()
