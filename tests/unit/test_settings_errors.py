"""A malformed environment variable is one line naming it and the form it expects — for the CLI
(exit 2, no traceback) and for a Lambda's log alike — never a pydantic traceback, never its value."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from a2n.cli import main
from a2n.settings import SettingsInvalid, get_settings, reset_settings

ALLOW_FORM = 'expected a JSON list of CIDR ranges, e.g. ["127.0.0.1/32", "10.0.0.0/8"]'


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    reset_settings()
    yield monkeypatch
    monkeypatch.undo()
    reset_settings()


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("A2N_HTTP_ALLOW_NETWORKS", "127.0.0.1/32", ALLOW_FORM),
        ("A2N_HTTP_ALLOW_NETWORKS", '{"a": 1}', ALLOW_FORM),
        (
            "A2N_HTTP_ALLOW_NETWORKS",
            '["10.0.0.0/33"]',
            f"{ALLOW_FORM} ('10.0.0.0/33' is not an address range such as 127.0.0.1/32 or 10.0.0.0/8)",
        ),
        ("A2N_QUEUE_URLS", "[1]", 'expected a JSON object {"<node type>": "<queue URL>"}'),
        ("A2N_DATABASE_POOL_SIZE", "ten", "expected a whole number"),
        ("A2N_DATABASE_PIPELINED", "maybe", "expected true or false"),
        ("A2N_NODE_TIMEOUT_DEFAULT_S", "soon", "expected a number"),
    ],
)
def test_a_malformed_variable_names_itself_and_the_expected_form(
    env: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    env.setenv(variable, value)

    with pytest.raises(SettingsInvalid) as caught:
        get_settings()

    assert str(caught.value) == f"{variable} is malformed: {expected}"


def test_the_message_never_carries_the_value(env: pytest.MonkeyPatch) -> None:
    env.setenv("A2N_DATABASE_POOL_SIZE", "s3cret-looking-value")
    with pytest.raises(SettingsInvalid) as caught:
        get_settings()
    assert "s3cret" not in str(caught.value)


def test_an_allow_list_entry_is_normalised_to_a_range(env: pytest.MonkeyPatch) -> None:
    env.setenv("A2N_HTTP_ALLOW_NETWORKS", '["127.0.0.1", "10.1.2.3/8"]')
    assert get_settings().http_allow_networks == ["127.0.0.1/32", "10.0.0.0/8"]


def test_the_cli_reports_a_malformed_variable_in_one_line_and_exits_2(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    env.setenv("A2N_HTTP_ALLOW_NETWORKS", "127.0.0.1/32")

    code = main(["invoke", "HealthFunction", "events/apigw-http-v2-health.json"])

    error = capsys.readouterr().err
    assert code == 2
    assert error == f"a2n invoke: A2N_HTTP_ALLOW_NETWORKS is malformed: {ALLOW_FORM}\n"


def test_a_malformed_allow_network_flag_is_a_usage_error_saying_the_form(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["dev", "--allow-network", "127.0.0.1/32", "--allow-network", "localhost"])

    assert caught.value.code == 2
    error = capsys.readouterr().err
    assert "--allow-network: 'localhost' is not an address range such as 127.0.0.1/32" in error
