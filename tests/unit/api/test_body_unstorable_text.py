"""JSON bodies with \\u0000 or an unpaired surrogate are a 400 at the edge (Postgres text/jsonb cannot
hold them; the fuzzer turned one into a 500), while a literal backslash-u and real emoji pass."""

from __future__ import annotations

import pytest

from a2n.api.body import decode_json
from a2n.errors import BadRequest


@pytest.mark.parametrize(
    "raw", [rb'{"email": "a\u0000b"}', rb'{"\u0000": 1}', rb'{"a": ["\ud800"]}', rb'{"a": "\uDFFF"}']
)
def test_unstorable_text_is_a_400(raw: bytes) -> None:
    with pytest.raises(BadRequest, match="cannot be stored"):
        decode_json(raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (rb'{"a": "\\u0000 literal"}', {"a": "\\u0000 literal"}),
        (rb'{"a": "\ud83d\ude00"}', {"a": "\U0001f600"}),
    ],
)
def test_escapes_that_decode_to_storable_text_pass(raw: bytes, value: object) -> None:
    assert decode_json(raw) == value


@pytest.mark.parametrize("where", ["query", "path"])
def test_parameters_with_nul_are_a_400_before_the_route_runs(where: str) -> None:
    from api_events import http_event, problem_of

    from a2n.api.http import Request, route

    calls: list[Request] = []

    @route
    def listing(request: Request) -> tuple[int, object]:
        calls.append(request)
        return 200, {}

    if where == "query":
        event = http_event("GET", "/audit-logs", query={"entityId": "a\x00b"})
    else:
        event = http_event("GET", "/executions/x", path_params={"id": "a\x00b"})
    result = listing(event, None)
    assert (result["statusCode"], calls) == (400, [])
    assert "NUL" in problem_of(result)["detail"]
