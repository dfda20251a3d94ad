"""Failures of a team library are one line of the right kind: no server, a refused login, no
membership, no team schema; a dropped connection is replaced without the user noticing."""

from __future__ import annotations

import socket
import uuid

import psycopg
import pytest

from streamimages_desktop.core.errors import EnvironmentProblem, ProblemKind
from streamimages_desktop.core.models import OWNER, Stream
from streamimages_desktop.core.team_changes import ChangeFeed
from streamimages_desktop.core.team_store import TeamStore
from tests.core.team.conftest import MemberFactory, login_url
from tests.core.test_store import T0, make_image
from tests.servers.postgres import PostgresServer


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once it is closed


def test_no_server_is_unreachable_and_names_no_password() -> None:
    url = f"postgresql://someone:hunter2@127.0.0.1:{closed_port()}/team"
    for opener in (TeamStore, ChangeFeed):
        with pytest.raises(EnvironmentProblem) as found:
            opener(url)
        assert found.value.kind is ProblemKind.UNREACHABLE
        message = str(found.value)
        assert "\n" not in message and "hunter2" not in message and "did not answer" in message


def test_a_wrong_password_or_unknown_role_is_credentials(
    postgres_url: str, member_url: MemberFactory
) -> None:
    good = member_url("public", False)
    name = good.split("//")[1].split(":")[0]
    for url in (login_url(postgres_url, name, "wrong"), login_url(postgres_url, "nobody", "x")):
        with pytest.raises(EnvironmentProblem) as found:
            TeamStore(url)
        assert found.value.kind is ProblemKind.CREDENTIALS
        assert "refused the login" in str(found.value)


def test_a_role_that_is_no_member_or_a_database_without_the_schema(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    stranger = f"s_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {stranger} LOGIN PASSWORD 'pw'".encode())
        conn.execute(f"GRANT SELECT ON team_schema_version, team_members TO {stranger}".encode())
    with pytest.raises(EnvironmentProblem) as found:
        TeamStore(login_url(postgres_url, stranger, "pw"))
    assert found.value.kind is ProblemKind.CREDENTIALS and "no member" in str(found.value)
    with pytest.raises(EnvironmentProblem) as empty:
        TeamStore(postgres_server.url("postgres"))
    assert empty.value.kind is ProblemKind.MISSING


def test_a_dropped_connection_is_replaced_and_a_closed_store_says_so(
    postgres_url: str, team: TeamStore
) -> None:
    team.create_stream(Stream("live", "Live", "me", T0))
    with psycopg.connect(postgres_url, autocommit=True) as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
    team.insert_image(make_image("a"), 50)
    assert [i.id for i in team.list_images(OWNER)] == ["a"]
    team.close()
    with pytest.raises(EnvironmentProblem) as closed:
        team.list_images(OWNER)
    assert closed.value.kind is ProblemKind.CLOSED
