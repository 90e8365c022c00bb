"""The real Alembic migrations build exactly the schema the models describe, and undo cleanly."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect

from a2n.db import migrate
from a2n.db.models import Base


def _schema_diff(url: str) -> list[object]:
    engine = create_engine(migrate.alembic_config(url).get_main_option("sqlalchemy.url") or "")
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(migrate.alembic_config(url).get_main_option("sqlalchemy.url") or "")
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_migrations_on_an_empty_database_match_the_models_without_drift(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)

    assert _schema_diff(empty_database_url) == []
    assert migrate.current(empty_database_url) == migrate.head() == _revision_of("notification_channels")
    assert {t.name for t in Base.metadata.sorted_tables} <= _tables(empty_database_url)


def test_downgrade_to_base_removes_every_table_and_upgrade_restores_them(empty_database_url: str) -> None:
    migrate.upgrade(empty_database_url)

    migrate.downgrade(empty_database_url, "base")
    assert _tables(empty_database_url) == {"alembic_version"}
    assert migrate.current(empty_database_url) is None

    migrate.upgrade(empty_database_url)
    assert _schema_diff(empty_database_url) == []


def _engine_with(url: str, rows: str) -> Engine:
    """An engine on ``url`` after running the ``;``-separated statements of ``rows`` in it."""
    from sqlalchemy import text

    engine = create_engine(migrate.alembic_config(url).get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        for statement in filter(str.strip, rows.split(";")):
            conn.execute(text(statement))
    return engine


def test_0004_backfills_each_users_personal_workspace_from_registration_then_ownership(
    empty_database_url: str,
) -> None:
    """Issue 9.1: the workspace created at registration (named by the ``user.register`` audit entry)
    becomes the personal one even when an older shared workspace exists; without that entry the oldest
    workspace the user owns; with none, a new one. Every user ends with one, owned by them."""
    from sqlalchemy import text

    migrate.upgrade(empty_database_url, "0003")
    ids = {name: f"00000000-0000-4000-8000-00000000000{n}" for n, name in enumerate(
        ["ada", "bob", "cyd", "team", "ada_home", "bob_old", "bob_new"], start=1
    )}  # fmt: skip
    rows = f"""
    INSERT INTO users (id, email, password_hash, created_at) VALUES
      ('{ids['ada']}', 'ada@example.com', 'x', '2026-01-02'),
      ('{ids['bob']}', 'bob@example.com', 'x', '2026-01-01'),
      ('{ids['cyd']}', 'cyd@example.com', 'x', '2026-01-01');
    INSERT INTO workspaces (id, name, slug, created_at) VALUES
      ('{ids['team']}', 'Team', 'team', '2025-12-01'),
      ('{ids['ada_home']}', 'Ada''s workspace', 'ada', '2026-01-02'),
      ('{ids['bob_old']}', 'Bob old', 'bob-old', '2026-01-01'),
      ('{ids['bob_new']}', 'Bob new', 'bob-new', '2026-01-03');
    INSERT INTO workspace_members (id, workspace_id, user_id, role) VALUES
      (gen_random_uuid(), '{ids['team']}', '{ids['bob']}', 'OWNER'),
      (gen_random_uuid(), '{ids['team']}', '{ids['ada']}', 'ADMIN'),
      (gen_random_uuid(), '{ids['ada_home']}', '{ids['ada']}', 'OWNER'),
      (gen_random_uuid(), '{ids['bob_old']}', '{ids['bob']}', 'OWNER'),
      (gen_random_uuid(), '{ids['bob_new']}', '{ids['bob']}', 'OWNER');
    INSERT INTO audit_logs (id, workspace_id, actor_type, actor_id, action, entity_type, entity_id)
      VALUES (gen_random_uuid(), '{ids['ada_home']}', 'user', '{ids['ada']}', 'user.register', 'user',
              '{ids['ada']}');
    """
    engine = _engine_with(empty_database_url, rows)
    try:
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            personal = dict(conn.execute(text("SELECT email, personal_workspace_id::text FROM users")).all())
            cyd_home = conn.execute(text(
                "SELECT w.name, m.role FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id"
                f" WHERE w.id = '{personal['cyd@example.com']}' AND m.user_id = '{ids['cyd']}'"
            )).one()  # fmt: skip
    finally:
        engine.dispose()
    # Ada: her registration workspace, not the older team. Bob (no audit entry): the oldest he owns
    # (the team). Cyd owned nothing: a new workspace of hers.
    assert personal["ada@example.com"] == ids["ada_home"]
    assert personal["bob@example.com"] == ids["team"]
    assert tuple(cyd_home) == ("cyd@example.com's workspace", "OWNER")


def test_0005_revokes_live_keys_of_people_no_longer_members_of_their_keys_workspace(
    empty_database_url: str,
) -> None:
    """Before 0005 a removed member's keys stayed live (and worked again on a re-add)."""
    from sqlalchemy import text

    migrate.upgrade(empty_database_url, "0004")
    rows = """
    INSERT INTO workspaces (id, name, slug) VALUES
      ('00000000-0000-4000-8000-0000000000a1', 'Home', 'home'),
      ('00000000-0000-4000-8000-0000000000a2', 'Team', 'team');
    INSERT INTO users (id, email, password_hash, personal_workspace_id) VALUES
      ('00000000-0000-4000-8000-0000000000b1', 'bob@example.com', 'x',
       '00000000-0000-4000-8000-0000000000a1');
    INSERT INTO workspace_members (id, workspace_id, user_id, role) VALUES
      (gen_random_uuid(), '00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-0000000000b1',
       'OWNER');
    INSERT INTO api_keys (id, user_id, workspace_id, name, prefix, key_hash) VALUES
      (gen_random_uuid(), '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000a1',
       'home', 'p1', 'h1'),
      (gen_random_uuid(), '00000000-0000-4000-8000-0000000000b1', '00000000-0000-4000-8000-0000000000a2',
       'left team', 'p2', 'h2');
    """
    engine = _engine_with(empty_database_url, rows)
    try:
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            revoked = dict(conn.execute(text("SELECT name, revoked_at IS NOT NULL FROM api_keys")).all())
    finally:
        engine.dispose()
    assert revoked == {"home": False, "left team": True}


def test_0008_clears_plaintext_resume_tokens_and_keeps_their_hashes(empty_database_url: str) -> None:
    """Issue 9.9: before 0008 a waiting node's output held its resume token in plain text."""
    from sqlalchemy import text

    migrate.upgrade(empty_database_url, "0007")
    ids = {name: f"00000000-0000-4000-8000-0000000000c{n}" for n, name in enumerate(["ws", "wf", "ex"], 1)}
    ex = ids["ex"]
    rows = f"""
    INSERT INTO workspaces (id, name, slug) VALUES ('{ids['ws']}', 'W', 'w');
    INSERT INTO workflows (id, workspace_id, name, definition)
      VALUES ('{ids['wf']}', '{ids['ws']}', 'wf', '{{}}');
    INSERT INTO executions (id, workflow_id, workflow_version, workspace_id, status, mode)
      VALUES ('{ids['ex']}', '{ids['wf']}', 1, '{ids['ws']}', 'WAITING', 'manual');
    INSERT INTO execution_node_states
      (id, execution_id, node_id, node_type, status, output, resume_token_hash) VALUES
      (gen_random_uuid(), '{ex}', 'waits', 'wait', 'WAITING', '{{"resumeToken": "tok-a"}}', 'hash-a'),
      (gen_random_uuid(), '{ex}', 'was_cancelled', 'wait', 'CANCELLED', '{{"resumeToken": "b"}}', NULL),
      (gen_random_uuid(), '{ex}', 'user_data', 'transform', 'SUCCEEDED', '{{"resumeToken": "mine"}}', NULL),
      (gen_random_uuid(), '{ex}', 'resumed', 'wait', 'SUCCEEDED', '{{"resumedAt": "x", "data": 1}}', NULL)
    """
    engine = _engine_with(empty_database_url, rows)
    try:
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            found = {row[0]: (row[1], row[2]) for row in conn.execute(
                text("SELECT node_id, output, resume_token_hash FROM execution_node_states")
            )}  # fmt: skip
    finally:
        engine.dispose()
    assert found == {
        "waits": ({"waitingForResume": True}, "hash-a"),  # the hash stays: a copied token still resumes
        "was_cancelled": (None, None),
        "user_data": ({"resumeToken": "mine"}, None),  # a node's own output is not a token
        "resumed": ({"resumedAt": "x", "data": 1}, None),
    }


def test_0009_publishes_every_existing_workflow_at_its_current_version(empty_database_url: str) -> None:
    """What ran before drafts existed stays what runs: each workflow's current version becomes its
    published one; executions lose their foreign key (retention may purge an archived workflow)."""
    from sqlalchemy import text

    migrate.upgrade(empty_database_url, "0008")
    rows = """
    INSERT INTO workspaces (id, name, slug) VALUES ('00000000-0000-4000-8000-0000000000a1', 'Home', 'home');
    INSERT INTO users (id, email, password_hash, personal_workspace_id) VALUES
      ('00000000-0000-4000-8000-0000000000b1', 'ada@example.com', 'x',
       '00000000-0000-4000-8000-0000000000a1');
    INSERT INTO workflows (id, workspace_id, created_by, name, definition, version) VALUES
      ('00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-0000000000a1',
       '00000000-0000-4000-8000-0000000000b1', 'wf', '{"nodes": [{"id": "v3"}]}', 3)
    """
    engine = _engine_with(empty_database_url, rows)
    try:
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            published = conn.execute(
                text("SELECT published_version, published_definition, published_by::text FROM workflows")
            ).one()
            keys = conn.execute(
                text("SELECT count(*) FROM pg_constraint"
                     " WHERE conname = 'fk_executions_workflow_id_workflows'")
            ).scalar_one()
    finally:
        engine.dispose()
    assert tuple(published) == (3, {"nodes": [{"id": "v3"}]}, "00000000-0000-4000-8000-0000000000b1")
    assert keys == 0


def test_credential_sharing_migration_shares_each_with_its_workspace_and_attaches_what_workflows_use(
    empty_database_url: str,
) -> None:
    """Before sharing existed every member could use every credential of the workspace: each one is
    shared with its whole workspace, and each credential any version of a workflow names is attached
    by the workflow's creator, so every run that worked keeps working."""
    from sqlalchemy import text

    migrate.upgrade(empty_database_url, f"{int(_revision_of('credential_sharing')) - 1:04d}")
    ws, user, cred, other, wf = (
        f"00000000-0000-4000-8000-0000000000{n}" for n in ("a1", "b1", "c1", "c2", "d1")
    )
    rows = f"""
    INSERT INTO workspaces (id, name, slug) VALUES ('{ws}', 'W', 'w');
    INSERT INTO users (id, email, password_hash, personal_workspace_id)
      VALUES ('{user}', 'ada@example.com', 'x', '{ws}');
    INSERT INTO credentials
      (id, workspace_id, created_by, name, type, encrypted_data, data_key_ciphertext, key_id)
      VALUES ('{cred}', '{ws}', '{user}', 'used', 'bearer', 'x', 'k', 'local'),
             ('{other}', '{ws}', '{user}', 'unused', 'bearer', 'x', 'k', 'local');
    INSERT INTO workflows (id, workspace_id, created_by, name, definition, version, published_version,
                           published_definition)
      VALUES ('{wf}', '{ws}', '{user}', 'wf', '{{"nodes": "not a list"}}', 2, 1,
              '{{"nodes": [{{"id": "a", "credentialId": "{cred}"}},
                           {{"id": "b", "credentialId": "nope"}}]}}');
    INSERT INTO workflow_versions (id, workflow_id, version, definition)
      VALUES (gen_random_uuid(), '{wf}', 1, '{{"nodes": [{{"id": "a", "credentialId": "{cred}"}}]}}')
    """
    engine = _engine_with(empty_database_url, rows)
    try:
        migrate.upgrade(empty_database_url)
        with engine.connect() as conn:
            shares = conn.execute(
                text("SELECT credential_id::text, grantee_user_id FROM credential_shares")
            ).all()
            attached = conn.execute(
                text(
                    "SELECT workflow_id::text, credential_id::text, attached_by::text"
                    " FROM credential_attachments"
                )
            ).all()
    finally:
        engine.dispose()
    assert sorted(tuple(r) for r in shares) == [(cred, None), (other, None)]
    assert [tuple(r) for r in attached] == [(wf, cred, user)]


def _revision_of(name: str) -> str:
    """A migration's revision from its file name: they are renumbered when branches land in turn."""
    versions = Path(migrate.__file__).parent / "migrations" / "versions"
    (path,) = versions.glob(f"[0-9][0-9][0-9][0-9]_{name}.py")
    return path.name[:4]
