"""Where uploaded documents live: a folder of the local file system (the default) or an S3-compatible
object store (``obstore``). Documents are stored under their SHA-256, so storing one twice is harmless,
and a document read back is checked against it.

The store in use is the application's (`using_document_store`, entered with the rest of its domain
context); the services read it with `document_store()`.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Protocol

import anyio
import obstore
from obstore.exceptions import NotFoundError
from obstore.store import S3Store

from inventory.errors import Conflict, NotFound


class DocumentAltered(Conflict):
    """A stored document no longer has the SHA-256 it was uploaded with."""

    code = "document-altered"


class DocumentStore(Protocol):
    """Keeps documents' bytes by key."""

    async def put(self, key: str, content: bytes) -> None: ...

    async def get(self, key: str) -> bytes: ...


class FileSystemStore:
    """Documents as files under ``root`` (created when needed); each written to a temporary file first
    and renamed into place, so a reader never sees half a document."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise NotFound(f"document {key} not found")
        return path

    async def put(self, key: str, content: bytes) -> None:
        await anyio.to_thread.run_sync(self._write, self._path(key), content)

    @staticmethod
    def _write(path: Path, content: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await anyio.Path(path).read_bytes()
        except FileNotFoundError as exc:
            raise NotFound(f"document {key} is not in the document store") from exc


class ObjectStore:
    """Documents as objects of an S3-compatible bucket, through ``obstore``'s asynchronous calls."""

    def __init__(self, store: S3Store, prefix: str = "") -> None:
        self.store = store
        self.prefix = prefix.strip("/")

    @classmethod
    def s3(
        cls,
        *,
        bucket: str,
        endpoint: str | None,
        region: str,
        access_key_id: str | None,
        secret_access_key: str | None,
        prefix: str = "",
        allow_http: bool = False,
    ) -> ObjectStore:
        options: dict[str, object] = {"region": region}
        if endpoint:
            options["endpoint"] = endpoint
        if access_key_id and secret_access_key:
            options.update(access_key_id=access_key_id, secret_access_key=secret_access_key)
        store = S3Store(bucket, client_options={"allow_http": allow_http}, **options)  # type: ignore[arg-type]
        return cls(store, prefix)

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    async def put(self, key: str, content: bytes) -> None:
        await obstore.put_async(self.store, self._key(key), content)

    async def get(self, key: str) -> bytes:
        try:
            result = await obstore.get_async(self.store, self._key(key))
        except NotFoundError as exc:
            raise NotFound(f"document {key} is not in the document store") from exc
        return bytes(await result.bytes_async())


def storage_key(sha256: str, extension: str) -> str:
    """Where a document of this hash is stored."""
    return f"{sha256[:2]}/{sha256}{extension}"


async def read_checked(store: DocumentStore, key: str, sha256: str) -> bytes:
    """A stored document, or `DocumentAltered` if its content no longer has its SHA-256."""
    content = await store.get(key)
    if hashlib.sha256(content).hexdigest() != sha256:
        raise DocumentAltered(f"the stored document {key} does not have the SHA-256 it was uploaded with")
    return content


_STORE: ContextVar[DocumentStore | None] = ContextVar("document_store", default=None)


@contextmanager
def using_document_store(store: DocumentStore) -> Iterator[DocumentStore]:
    """Make ``store`` the one `document_store` returns in this context until the block ends."""
    token = _STORE.set(store)
    try:
        yield store
    finally:
        _STORE.reset(token)


class NoDocumentStore(RuntimeError):
    """No document store is in use in this context."""


def document_store() -> DocumentStore:
    """The document store in use (`using_document_store`)."""
    store = _STORE.get()
    if store is None:
        raise NoDocumentStore("no document store in use: enter the application's domain context")
    return store
