"""a2n.adapters.sqs against moto's server over real HTTP (boto3, one client per container): what it
sends arrives (bodies, delays), what SQS refuses is reported failed, and a failed call ends in failed
ids — never in an exception or a lost message (the outbox keeps unsent rows)."""

from __future__ import annotations

import socket
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from a2n.adapters.sqs import QueuedMessage, _client, reset_client, send_messages
from a2n.local.aws import FAKE_CREDENTIALS, MotoServer
from a2n.settings import reset_settings

PointAt = Callable[[str], None]


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    server = MotoServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queue(moto: MotoServer) -> str:
    return moto.sqs().create_queue(QueueName=f"publish-{uuid.uuid4().hex[:12]}")["QueueUrl"]


@pytest.fixture
def point_at(monkeypatch: pytest.MonkeyPatch) -> Iterator[PointAt]:
    """``point_at(endpoint)``: the adapter's settings, as ``a2n dev`` sets them."""

    def point(endpoint: str) -> None:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {**FAKE_CREDENTIALS, "AWS_REGION": "us-east-1"}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
        reset_settings()
        reset_client()

    yield point
    reset_client()
    reset_settings()


def messages(count: int, prefix: str = "m") -> list[QueuedMessage]:
    return [QueuedMessage(f"{prefix}{i}", f'{{"step":"{prefix}{i}-{uuid.uuid4()}"}}') for i in range(count)]


def receive_bodies(moto: MotoServer, queue_url: str, expected: int, limit_s: float = 10) -> list[str]:
    sqs, bodies = moto.sqs(), []
    deadline = time.monotonic() + limit_s
    while len(bodies) < expected and time.monotonic() < deadline:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies += [message["Body"] for message in answer.get("Messages", [])]
    return bodies


@pytest.mark.parametrize("count", [1, 10, 25])
def test_every_message_arrives_in_batches_of_ten_through_one_client(
    count: int, moto: MotoServer, queue: str, point_at: PointAt
) -> None:
    point_at(moto.endpoint)
    sent = messages(count)

    assert send_messages(queue, sent) == set()
    assert send_messages(queue, []) == set()

    assert sorted(receive_bodies(moto, queue, count)) == sorted(m.body for m in sent)
    assert _client() is _client()  # built once per container


def test_delay_seconds_are_honoured_and_clamped_to_what_sqs_accepts(
    moto: MotoServer, queue: str, point_at: PointAt
) -> None:
    point_at(moto.endpoint)
    now, later = QueuedMessage("now", "now"), QueuedMessage("later", "later", 2)
    far = QueuedMessage("far", "far", 5000)  # unclamped, SQS would refuse this entry

    assert send_messages(queue, [now, later, far]) == set()

    assert receive_bodies(moto, queue, 1) == ["now"]  # "later" is not yet visible
    assert receive_bodies(moto, queue, 1) == ["later"]  # once its 2 s have passed
    assert receive_bodies(moto, queue, 1, limit_s=1) == []  # "far" waits its 900 s


def test_a_batch_sqs_refuses_is_reported_failed_while_other_chunks_arrive(
    moto: MotoServer, point_at: PointAt
) -> None:
    small = moto.sqs().create_queue(
        QueueName=f"small-{uuid.uuid4().hex[:8]}", Attributes={"MaximumMessageSize": "1024"}
    )
    point_at(moto.endpoint)
    sent = [*messages(11), QueuedMessage("too-long", "x" * 2000)]  # chunk 2: m10 and too-long

    failed = send_messages(small["QueueUrl"], sent)

    assert "too-long" in failed and not failed & {m.id for m in sent[:10]}
    assert sorted(receive_bodies(moto, small["QueueUrl"], 10)) == sorted(m.body for m in sent[:10])


def test_an_unreachable_endpoint_reports_every_id_failed_and_raises_nothing(
    point_at: PointAt, queue: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = int(s.getsockname()[1])
    point_at(f"http://127.0.0.1:{closed}")
    sent = messages(12)

    assert send_messages(queue, sent) == {m.id for m in sent}


def test_pointing_the_settings_at_another_endpoint_sends_there(
    moto: MotoServer, queue: str, point_at: PointAt, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local runtime restarts moto on another port: the cached client must not keep the old one."""
    point_at(moto.endpoint)
    assert send_messages(queue, messages(1, "first")) == set()
    other = MotoServer()
    other.start()
    try:
        other_queue = other.sqs().create_queue(QueueName="elsewhere")["QueueUrl"]
        monkeypatch.setenv("AWS_ENDPOINT_URL", other.endpoint)
        reset_settings()  # as the runtime does when it starts; the SQS client is not reset
        sent = messages(2, "second")
        assert send_messages(other_queue, sent) == set()
        assert sorted(receive_bodies(other, other_queue, 2)) == sorted(m.body for m in sent)
    finally:
        other.stop()
