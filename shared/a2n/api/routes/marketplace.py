"""The marketplace: publish a package version, browse and search, one package's versions and
changelogs, ratings and reviews, curated collections; platform admins review versions, verify
publishers and curate collections. Text is plain text: length-limited, no control characters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from a2n.api.http import Request, Response
from a2n.api.openapi import PAGE_QUERY, QueryParam, RouteDoc
from a2n.api.pagination import Page, page_request
from a2n.api.routes.integrations import PackageName
from a2n.api.schemas import PageOf, RequestBody, ResponseBody, UtcDatetime

# Plain text: printed as typed by any client; control characters but tab and newline refused.
_PLAIN = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"
ReviewText = Annotated[str, Field(max_length=2000, pattern=_PLAIN)]
Title = Annotated[str, Field(min_length=1, max_length=200, pattern=_PLAIN)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")]


class ManifestSchema(ResponseBody):
    """The JSON Schema (draft 2020-12) every manifest is validated against."""

    model_config = {"extra": "allow"}


class PackagePublishIn(RequestBody):
    manifest: dict[str, Any] = Field(description="The package manifest (GET /marketplace/manifest-schema)")


class PackageVersionOut(ResponseBody):
    name: str
    version: str
    status: Literal["pending", "approved", "rejected"]
    publisher: str


class ListedPackageOut(ResponseBody):
    name: str
    title: str
    description: str
    category: str
    icon_url: str | None
    publisher: str
    verified_publisher: bool
    latest_version: str | None = Field(description="The newest approved version; null until one is")
    install_count: int
    rating_average: float | None
    rating_count: int


class PackageVersionEntry(ResponseBody):
    version: str
    status: str
    changelog: str | None
    published_at: UtcDatetime


class PackageItem(ResponseBody):
    name: str
    title: str
    kind: str | None = None


class PackageDetailOut(ResponseBody):
    package: ListedPackageOut
    versions: list[PackageVersionEntry]
    actions: list[PackageItem]
    triggers: list[PackageItem]
    hosts: list[str]


class PackageReviewIn(RequestBody):
    rating: Annotated[int, Field(ge=1, le=5)]
    body: ReviewText | None = None


class PackageReviewOut(ResponseBody):
    id: str
    package: str
    rating: int
    body: str | None
    author: str
    created_at: UtcDatetime
    updated_at: UtcDatetime


class PackageDecisionIn(RequestBody):
    decision: Literal["approve", "reject"]
    note: Annotated[str, Field(max_length=2000, pattern=_PLAIN)] | None = None


class PublisherVerifiedIn(RequestBody):
    verified: bool


class PublisherVerifiedOut(ResponseBody):
    name: str
    verified: bool


class PackageCollectionIn(RequestBody):
    title: Title
    description: Annotated[str, Field(max_length=2000, pattern=_PLAIN)] | None = None
    packages: Annotated[list[PackageName], Field(max_length=100)]


class PackageCollectionOut(ResponseBody):
    slug: str
    title: str
    description: str | None
    packages: list[str]


class BrowseQuery(RequestBody):
    q: Annotated[str, Field(min_length=1, max_length=100)] | None = None
    category: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    collection: Slug | None = None
    limit: str | None = None
    cursor: str | None = None


class QueueQuery(RequestBody):
    limit: str | None = None
    cursor: str | None = None


PackageVersionList = PageOf[PackageVersionOut]
ListedPackageList = PageOf[ListedPackageOut]
PackageReviewList = PageOf[PackageReviewOut]
PackageCollectionList = PageOf[PackageCollectionOut]


def manifest_schema(request: Request) -> Response:
    from a2n.services.integrations.marketplace import manifest_schema as schema

    return Response(200, ManifestSchema.model_validate(schema(request.principal)))


def publish_package(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    body = request.parse(PackagePublishIn)
    published = marketplace.publish_version(request.principal, body.manifest, request.origin)
    return Response(201, PackageVersionOut.model_validate(published))


def browse_packages(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    query = request.parse_query(BrowseQuery)
    found = marketplace.browse(
        request.principal,
        page_request(request.query),
        q=query.q,
        category=query.category,
        collection=query.collection,
    )
    return Response(200, Page([ListedPackageOut.model_validate(p) for p in found.items], found.next_cursor))


def get_package(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    detail = marketplace.package_detail(request.principal, request.path_param("name"))
    return Response(200, PackageDetailOut.model_validate(detail))


def list_reviews(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    found = marketplace.list_reviews(
        request.principal, request.path_param("name"), page_request(request.query)
    )
    return Response(200, Page([_review(r) for r in found.items], found.next_cursor))


def put_review(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    body = request.parse(PackageReviewIn)
    review = marketplace.put_review(
        request.principal, request.path_param("name"), body.rating, body.body, request.origin
    )
    return Response(200, _review(review))


def _review(review: Any) -> PackageReviewOut:
    return PackageReviewOut(
        id=str(review.id),
        package=review.package,
        rating=review.rating,
        body=review.body,
        author=review.author,
        created_at=review.created_at,
        updated_at=review.updated_at,
    )


def list_collections(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    found = marketplace.list_collections(request.principal)
    return Response(200, Page([PackageCollectionOut.model_validate(c) for c in found], None))


def review_queue(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    request.parse_query(QueueQuery)
    found = marketplace.review_queue(request.principal, page_request(request.query).limit)
    return Response(200, Page([PackageVersionOut.model_validate(v) for v in found], None))


def decide_version(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    body = request.parse(PackageDecisionIn)
    name, version = request.path_param("name"), request.path_param("version")
    decided = marketplace.decide_version(
        request.principal,
        name,
        version,
        approve=body.decision == "approve",
        note=body.note,
        origin=request.origin,
    )
    return Response(200, PackageVersionOut.model_validate(decided))


def verify_publisher(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    body = request.parse(PublisherVerifiedIn)
    name = marketplace.set_publisher_verified(request.principal, request.path_param("name"), body.verified)
    return Response(200, PublisherVerifiedOut(name=name, verified=body.verified))


def put_collection(request: Request) -> Response:
    from a2n.services.integrations import marketplace

    body = request.parse(PackageCollectionIn)
    saved = marketplace.put_collection(
        request.principal, request.path_param("slug"), body.title, body.description, list(body.packages)
    )
    return Response(200, PackageCollectionOut.model_validate(saved))


_TAGS = ("Marketplace",)
_PACKAGE = "/marketplace/packages/{name}"
_SEARCH = (
    QueryParam("q", {"type": "string", "maxLength": 100}),
    QueryParam("category", {"type": "string", "maxLength": 64}),
    QueryParam("collection", {"type": "string", "maxLength": 63}),
)

ROUTES: tuple[RouteDoc, ...] = (
    RouteDoc(
        "GET",
        "/marketplace/manifest-schema",
        "The published JSON Schema of package manifests",
        response_model=ManifestSchema,
        tags=_TAGS,
    ),
    RouteDoc(
        "POST",
        "/marketplace/packages",
        "Publish a package version (ADMIN); listed once a platform admin approves it",
        PackagePublishIn,
        PackageVersionOut,
        status=201,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "GET",
        "/marketplace/packages",
        "Browse and search listed packages (and this workspace's own)",
        response_model=ListedPackageList,
        tags=_TAGS,
        query=_SEARCH + PAGE_QUERY,
        errors=(404,),
    ),
    RouteDoc(
        "GET",
        _PACKAGE,
        "A package: listing, versions with changelogs, actions, triggers, hosts",
        response_model=PackageDetailOut,
        tags=_TAGS,
    ),
    RouteDoc(
        "GET",
        f"{_PACKAGE}/reviews",
        "A package's ratings and reviews, newest first",
        response_model=PackageReviewList,
        tags=_TAGS,
        query=PAGE_QUERY,
    ),
    RouteDoc(
        "PUT",
        f"{_PACKAGE}/reviews/mine",
        "Rate and review an installed package (one per user, editable)",
        PackageReviewIn,
        PackageReviewOut,
        tags=_TAGS,
    ),
    RouteDoc(
        "GET",
        "/marketplace/collections",
        "Curated collections of packages",
        response_model=PackageCollectionList,
        tags=_TAGS,
    ),
    RouteDoc(
        "GET",
        "/admin/marketplace/versions",
        "Versions waiting for review, oldest first (platform admins)",
        response_model=PackageVersionList,
        tags=_TAGS,
        query=PAGE_QUERY,
    ),
    RouteDoc(
        "POST",
        "/admin/marketplace/packages/{name}/versions/{version}/decision",
        "Approve or reject a pending version (platform admins)",
        PackageDecisionIn,
        PackageVersionOut,
        tags=_TAGS,
        errors=(409,),
    ),
    RouteDoc(
        "PUT",
        "/admin/marketplace/publishers/{name}",
        "Mark a publisher verified or not (platform admins)",
        PublisherVerifiedIn,
        PublisherVerifiedOut,
        tags=_TAGS,
    ),
    RouteDoc(
        "PUT",
        "/admin/marketplace/collections/{slug}",
        "Create or replace a collection (platform admins)",
        PackageCollectionIn,
        PackageCollectionOut,
        tags=_TAGS,
    ),
)
