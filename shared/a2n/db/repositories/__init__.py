"""Repositories: typed queries over the models. They take a Session and never commit."""

from a2n.db.repositories.base import Keyset, Repository, Slice, WorkspaceScopedRepository
from a2n.db.repositories.identity import UserRepository, WorkspaceRepository

__all__ = [
    "Keyset",
    "Repository",
    "Slice",
    "UserRepository",
    "WorkspaceRepository",
    "WorkspaceScopedRepository",
]
