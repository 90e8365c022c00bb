"""Issue 9.2 / SECURITY 28 over HTTP: a workspace's ADMINs list and revoke every member's API keys
(`GET /workspaces/{id}/api-keys`, `DELETE /workspaces/{id}/api-keys/{keyId}`), and removing a
member revokes their keys there for good."""

from __future__ import annotations

from e2e_support import ApiClient, RegisteredUser


def _team_with(user: RegisteredUser, member: RegisteredUser, role: str) -> str:
    team = user.client.post("/workspaces", {"name": "Key team"}).json["id"]
    added = user.client.post(f"/workspaces/{team}/members", {"email": member.email, "role": role})
    assert added.status == 201, added.body
    return str(team)


def _key(user: RegisteredUser, workspace: str, name: str) -> dict[str, str]:
    created = user.client.post(
        "/api-keys", {"name": name, "scopes": ["workflows:read"]}, headers={"X-Workspace-Id": workspace}
    )
    assert created.status == 201, created.body
    return dict(created.json)


def test_admins_list_and_revoke_members_keys_over_http(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser
) -> None:
    team = _team_with(user, other_user, "MEMBER")
    theirs = _key(other_user, team, "member-ci")

    listed = user.client.get(f"/workspaces/{team}/api-keys")
    assert listed.status == 200 and set(listed.json) == {"items", "nextCursor"}
    (row,) = listed.json["items"]
    assert (row["id"], row["userId"], row["userEmail"], row["name"]) == (
        theirs["id"], other_user.user_id, other_user.email, "member-ci"
    )  # fmt: skip
    assert "key" not in row and theirs["key"] not in listed.body.decode()
    # A MEMBER of the workspace is refused (403); a workspace one is not in does not exist (404).
    assert other_user.client.get(f"/workspaces/{team}/api-keys").status == 403
    assert other_user.client.get(f"/workspaces/{user.workspace_id}/api-keys").status == 404

    assert api.get("/workflows", token=theirs["key"]).status == 200
    assert user.client.delete(f"/workspaces/{team}/api-keys/{theirs['id']}").status == 204
    assert api.get("/workflows", token=theirs["key"]).status == 401
    assert user.client.get(f"/workspaces/{team}/api-keys").json["items"] == []
    assert user.client.delete(f"/workspaces/{team}/api-keys/{theirs['id']}").status == 404
    audit = user.client.get(f"/audit-logs?entityId={theirs['id']}", headers={"X-Workspace-Id": team}).json
    assert [e["action"] for e in audit["items"]] == ["api_key.revoke", "api_key.create"]


def test_removing_a_member_kills_their_keys_even_after_they_are_added_back(
    api: ApiClient, user: RegisteredUser, other_user: RegisteredUser
) -> None:
    team = _team_with(user, other_user, "MEMBER")
    theirs = _key(other_user, team, "leaves-with-them")
    assert api.get("/workflows", token=theirs["key"]).status == 200

    assert user.client.delete(f"/workspaces/{team}/members/{other_user.user_id}").status == 204
    assert api.get("/workflows", token=theirs["key"]).status == 401
    again = user.client.post(f"/workspaces/{team}/members", {"email": other_user.email, "role": "MEMBER"})
    assert again.status == 201
    assert api.get("/workflows", token=theirs["key"]).status == 401
