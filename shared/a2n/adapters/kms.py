"""KMS adapter: data keys for credential envelopes (GenerateDataKey, Decrypt, DescribeKey).

The only module that talks to KMS. The client is built on first use and cached per container.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from a2n.errors import ServiceUnavailable

if TYPE_CHECKING:
    from mypy_boto3_kms import KMSClient

# KMS answers these when the ciphertext, key or encryption context does not match: the data key
# is refused, as opposed to KMS being unreachable or us lacking permission.
_REJECTED_CODES = frozenset({"InvalidCiphertextException", "IncorrectKeyException"})


class DataKeyRejected(Exception):
    """KMS refused to decrypt a data key (wrong key, tampered blob or wrong encryption context)."""


@dataclass(frozen=True)
class KmsDataKey:
    """A fresh AES-256 data key: the plaintext to use once, the ciphertext to store."""

    plaintext: bytes = field(repr=False)
    ciphertext: bytes
    key_arn: str


def generate_data_key(key_id: str, *, context: Mapping[str, str]) -> KmsDataKey:
    """A new 256-bit data key under ``key_id``, bound to the encryption ``context``."""
    with _kms_errors():
        answer = _client().generate_data_key(
            KeyId=key_id, KeySpec="AES_256", EncryptionContext=dict(context)
        )
    return KmsDataKey(
        plaintext=answer["Plaintext"], ciphertext=answer["CiphertextBlob"], key_arn=answer["KeyId"]
    )


def decrypt_data_key(ciphertext: bytes, *, key_id: str, context: Mapping[str, str]) -> bytes:
    """The plaintext of a data key; raises DataKeyRejected when KMS refuses it."""
    with _kms_errors():
        answer = _client().decrypt(
            CiphertextBlob=ciphertext, KeyId=key_id, EncryptionContext=dict(context)
        )
    return answer["Plaintext"]


def describe_key_arn(key_id: str) -> str:
    """The ARN behind a key id or alias, so stored key ids compare equal across aliases."""
    with _kms_errors():
        return _client().describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]


def reset_client() -> None:
    """Forget the cached client (tests switch endpoints and mocks)."""
    _client.cache_clear()


@lru_cache(maxsize=1)
def _client() -> KMSClient:
    import boto3

    from a2n.settings import get_settings

    settings = get_settings()
    return boto3.client("kms", region_name=settings.aws_region, endpoint_url=settings.aws_endpoint_url)


@contextmanager
def _kms_errors() -> Iterator[None]:
    """Translate botocore errors: refused keys → DataKeyRejected, anything else → 503."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in _REJECTED_CODES:
            raise DataKeyRejected(code) from exc
        raise ServiceUnavailable(f"key service error: {code}") from exc
    except BotoCoreError as exc:
        raise ServiceUnavailable("key service unreachable") from exc
