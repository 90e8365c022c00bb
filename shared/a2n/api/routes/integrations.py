"""A workspace's integration packages: install pinned to a version, list, plan and apply an
upgrade, uninstall. What the packages offer shows in ``GET /node-types``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import PAGE_QUERY, QueryParam, RouteDoc
from a2n.api.pagination import Page, page_request
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime

PackageName = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]
Version = Annotated[str, Field(min_length=5, max_length=64, pattern=r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$")]


class InstallIn(RequestBody):
    package: PackageName
    version: Version | None = Field(default=None, description="Default: the newest approved version")


class UpgradeIn(RequestBody):
    version: Version | None = Field(default=None, description="Default: the newest approved version")


class UpgradeQuery(RequestBody):
    version: Version | None = None


class UninstallQuery(RequestBody):
    force: Literal["true", "false"] = "false"


class InstalledOut(ResponseBody):
    name: str
    version: str
    title: str
    category: str
    installed_at: UtcDatetime
    updated_at: UtcDatetime
    latest_version: str | None
    actions: list[str]
    triggers: list[str]
    credential_types: list[str]


InstalledList = PageOf[InstalledOut]


class ChangelogEntry(ResponseBody):
    version: str
    changelog: str


class BreakingChange(ResponseBody):
    workflow_id: str
    workflow_name: str
    node_id: str | None
    pointer: str
    message: str


class MigratedWorkflow(ResponseBody):
    id: str
    name: str
    version: int


class UpgradeOut(ResponseBody):
    name: str
    from_version: str
    to_version: str
    changelog: list[ChangelogEntry]
    breaking: list[BreakingChange]
    migrated: list[MigratedWorkflow]


def install_package(request: Request) -> Response:
    from a2n.services.integrations import workspace

    body = request.parse(InstallIn)
    installed = workspace.install_package(request.principal, body.package, body.version, request.origin)
    return Response(201, InstalledOut.model_validate(installed))


def list_installed(request: Request) -> Response:
    from a2n.services.integrations import workspace

    found = workspace.list_installed(request.principal, page_request(request.query))
    return Response(200, Page([InstalledOut.model_validate(i) for i in found.items], found.next_cursor))


def plan_upgrade(request: Request) -> Response:
    from a2n.services.integrations import workspace

    query = request.parse_query(UpgradeQuery)
    plan = workspace.plan_upgrade(request.principal, request.path_param("name"), query.version)
    return Response(200, UpgradeOut.model_validate(plan))


def upgrade_package(request: Request) -> Response:
    from a2n.services.integrations import workspace

    body = request.parse(UpgradeIn)
    name = request.path_param("name")
    plan = workspace.upgrade_package(request.principal, name, body.version, request.origin)
    return Response(200, UpgradeOut.model_validate(plan))


def uninstall_package(request: Request) -> Response:
    from a2n.services.integrations import workspace

    query = request.parse_query(UninstallQuery)
    workspace.uninstall_package(
        request.principal, request.path_param("name"), force=query.force == "true", origin=request.origin
    )
    return Response.no_content()


_TAGS = ("Integrations",)
_NAME = "/integrations/{name}"

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET",
        "/integrations",
        "Packages installed in this workspace, by name",
        response_model=InstalledList,
        tags=_TAGS,
        query=PAGE_QUERY,
    ),
    RouteDoc(
        "POST",
        "/integrations",
        "Install a package pinned to a version (ADMIN)",
        InstallIn,
        InstalledOut,
        status=201,
        tags=_TAGS,
        errors=(404, 409),
    ),
    RouteDoc(
        "GET",
        f"{_NAME}/upgrade",
        "What upgrading would change: changelog and the saved nodes it breaks",
        response_model=UpgradeOut,
        tags=_TAGS,
        errors=(409,),
        query=(QueryParam("version", {"type": "string", "maxLength": 64}),),
    ),
    RouteDoc(
        "PUT",
        _NAME,
        "Upgrade (or downgrade) and re-pin every workflow; 409 when a saved node would break",
        UpgradeIn,
        UpgradeOut,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "DELETE",
        _NAME,
        "Uninstall; 409 while workflows use it unless ?force=true",
        status=204,
        tags=_TAGS,
        errors=(409,),
        query=(QueryParam("force", {"enum": ["true", "false"]}),),
    ),
)
