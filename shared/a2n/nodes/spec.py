"""What every node type declares: config model, output schema, handles, category.

Pure declarations shared by the registry (``GET /node-types``), definition validation and the
node implementations. Importing this module stays cheap: pydantic is only named for type checking.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from pydantic import BaseModel

    from a2n.errors import Problem

Category = Literal["core", "trigger", "flow", "data"]

# The handle a node routes to when it fails with ``onError: errorOutput``; no config may claim it.
ERROR_HANDLE = "error"
MAIN_HANDLE = "main"


@dataclass(frozen=True)
class NodeSpec:
    """A node type's contract. ``config_problems`` adds checks the config model cannot express
    (cross-field rules, bare JMESPath, schedule expressions); it receives the validated model and
    the JSON pointer of the node's config. ``dynamic_outputs`` derives handles from a raw config.
    ``literal_fields`` are top-level config fields whose text is never a ``{{ }}`` template (the
    code node's Python source, where ``{{`` is ordinary syntax)."""

    type: str
    name: str
    category: Category
    description: str
    config_model: builtins.type[BaseModel]  # `type` is also a field name here
    output_schema: Mapping[str, Any]
    inputs: tuple[str, ...] = (MAIN_HANDLE,)
    outputs: tuple[str, ...] = (MAIN_HANDLE,)
    is_trigger: bool = False
    accepts_credentials: bool = False
    # No I/O, no credential, no wait: the engine may run it inside the transaction that made it ready.
    pure: bool = False
    config_problems: Callable[[Any, str], list[Problem]] | None = None
    dynamic_outputs: Callable[[Mapping[str, Any]], list[str]] | None = None
    literal_fields: tuple[str, ...] = ()

    def handles_for(self, config: Mapping[str, Any]) -> list[str]:
        """Output handles of a node of this type with this (raw) config, without ``error``."""
        if self.dynamic_outputs is not None:
            return self.dynamic_outputs(config)
        return list(self.outputs)
