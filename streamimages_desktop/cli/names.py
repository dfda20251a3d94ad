"""The words the grammar offers (roles, visibilities, orders), written out so building the
parser imports no domain code: `--help` and usage errors start light (issue 14). A test keeps
each tuple equal to its enum in core.models."""

from __future__ import annotations

ROLES = ("owner", "subscriber", "viewer")  # core.models.Role
VISIBILITIES = ("public", "subscribers", "private")  # core.models.Visibility
SORTS = ("newest", "oldest", "title", "most_viewed")  # core.models.Sort


def validate_stream_id(text: str) -> str:
    """core.models.validate_stream_id as an argparse type (same name, so the same messages),
    importing the models only when a stream id is actually given."""
    from streamimages_desktop.core.models import validate_stream_id as validate

    return validate(text)
