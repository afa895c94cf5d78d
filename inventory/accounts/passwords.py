"""argon2id password hashes."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    """argon2id hashing with the given cost; slow on purpose, so it runs in a worker thread."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        self._dummy_hash = self._hasher.hash("spareline-timing-equaliser")

    async def hash(self, password: str) -> str:
        return await anyio.to_thread.run_sync(self._hasher.hash, password)

    async def verify(self, password_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches; an unknown user costs the same time as a wrong password."""

        def check() -> bool:
            try:
                return (
                    self._hasher.verify(password_hash or self._dummy_hash, password)
                    and password_hash is not None
                )
            except (VerificationError, InvalidHashError):
                return False

        return await anyio.to_thread.run_sync(check)
