"""Documents in an S3-compatible object store (``DOCUMENT_STORE=s3``), against a local S3 server (moto's,
in a thread of the test process): uploaded, hashed and chained as on the file system, opened again, and
refused when the stored object no longer has its hash."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from api.settings import Settings
from tests.api import test_secure_media
from tests.api.test_sanitization import PDF, upload
from tests.api.test_secure_media import retained_disk
from tests.conftest import test_settings

BUCKET = "spareline-documents"
CREDENTIALS = {
    "aws_access_key_id": "test-key",
    "aws_secret_access_key": "test-secret",
    "region_name": "us-east-1",
}
sworld = test_secure_media.sworld  # the fixture
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, **CREDENTIALS).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def settings(database_url: str, s3_endpoint: str) -> Settings:
    return test_settings(
        database_url,
        document_store="s3",
        document_s3_bucket=BUCKET,
        document_s3_endpoint=s3_endpoint,
        document_s3_access_key_id=CREDENTIALS["aws_access_key_id"],
        document_s3_secret_access_key=CREDENTIALS["aws_secret_access_key"],
        document_s3_prefix="certificates",
        document_s3_allow_http=True,
    )


async def test_a_document_lives_in_the_bucket_and_opens_checked(client, sworld, s3_endpoint):
    record = await retained_disk(client, sworld)
    uploaded = await upload(client, sworld, record["id"], PDF)
    assert uploaded.status_code == 201, uploaded.text
    digest = hashlib.sha256(PDF).hexdigest()
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, **CREDENTIALS)
    key = f"certificates/{digest[:2]}/{digest}.pdf"
    assert s3.get_object(Bucket=BUCKET, Key=key)["Body"].read() == PDF
    address = f"/api/v1/secure-media/retentions/{record['id']}/documents/{uploaded.json()['id']}"
    opened = await client.get(address, headers=sworld.headers["compliance"])
    assert (opened.status_code, opened.content) == (200, PDF)

    s3.put_object(Bucket=BUCKET, Key=key, Body=PDF + b"% replaced in the bucket\n")
    refused = await client.get(address, headers=sworld.headers["compliance"])
    assert refused.status_code == 409
    assert refused.json()["type"] == "urn:spareline:problem:document-altered"
