"""A PostgreSQL cluster of a test's own, made with ``initdb`` and run with ``pg_ctl`` from the system's
packages, so that a test may crash it (every process killed with SIGKILL), stop it and start it again.

The binaries are taken from PG_BINDIR, else from the directory of ``pg_ctl`` on PATH, else from the
newest ``/usr/lib/postgresql/*/bin`` (Debian). PostgreSQL refuses to run as root: as root the cluster
runs as the ``postgres`` user (``runuser``), in a directory of the system's temporary folder that user
may enter (pytest's ``tmp_path`` is under a folder only root may enter).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

RUN_AS = "postgres"
START_TIMEOUT_S = 60
REAP_TIMEOUT_S = 10


def bindir() -> Path | None:
    """The directory of ``initdb`` and ``pg_ctl``, or None where they are not installed."""
    candidates = []
    if os.environ.get("PG_BINDIR"):
        candidates.append(Path(os.environ["PG_BINDIR"]))
    if pg_ctl := shutil.which("pg_ctl"):
        candidates.append(Path(pg_ctl).resolve().parent)
    candidates.extend(sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version, reverse=True))
    return next((c for c in candidates if (c / "initdb").is_file() and (c / "pg_ctl").is_file()), None)


def unavailable_reason() -> str | None:
    """Why a private cluster cannot run here, or None."""
    if bindir() is None:
        return "initdb/pg_ctl not found (install the PostgreSQL server package or set PG_BINDIR)"
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            return "running as root without runuser, and PostgreSQL refuses to run as root"
        try:
            import pwd

            pwd.getpwnam(RUN_AS)
        except KeyError:
            return f"running as root and there is no {RUN_AS!r} user to run PostgreSQL as"
    return None


class PrivateCluster:
    """One cluster in a temporary directory, on a free port of 127.0.0.1, trust authentication."""

    def __init__(self, settings: Mapping[str, str] | None = None) -> None:
        found = bindir()
        if found is None:
            raise RuntimeError(unavailable_reason())
        self._bin = found
        self._as_root = os.geteuid() == 0
        self.root = Path(tempfile.mkdtemp(prefix="spareline-pg-"))
        if self._as_root:
            shutil.chown(self.root, user=RUN_AS)
        self.data = self.root / "data"
        self.port = _free_port()
        self._settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": str(self.port),
            "unix_socket_directories": f"'{self.root}'",
            "max_connections": "20",
            "shared_buffers": "16MB",
            "autovacuum": "off",
            **(settings or {}),
        }

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def init(self) -> None:
        """``initdb`` (without syncing its files: only what the cluster writes afterwards matters)."""
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.writelines(f"{name} = {value}\n" for name, value in self._settings.items())

    def start(self) -> None:
        """Start the cluster and wait until it accepts connections (after crash recovery, if any)."""
        log = self.root / "server.log"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(log), "-w", "-t", str(START_TIMEOUT_S), "start")

    def stop(self) -> None:
        """A fast shutdown: sessions are terminated, then new connections are refused."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def crash(self) -> None:
        """Kill the postmaster and every process of the cluster with SIGKILL, all frozen first so that
        none of them writes anything while the others are being killed."""
        postmaster = self.postmaster_pid()
        os.kill(postmaster, signal.SIGSTOP)
        processes = [postmaster, *_children(postmaster)]
        for pid in processes[1:]:
            os.kill(pid, signal.SIGSTOP)
        for pid in processes:
            os.kill(pid, signal.SIGKILL)
        if not _wait_until(lambda: not any(_running(pid) for pid in processes), START_TIMEOUT_S):
            raise RuntimeError("the cluster's processes survived SIGKILL")
        # PostgreSQL takes a dead postmaster that is not reaped yet (a zombie) for a running one. Where
        # nothing reaps orphans promptly, the lock file goes: its processes are dead either way.
        if not _wait_until(lambda: not any(_exists(pid) for pid in processes), REAP_TIMEOUT_S):
            (self.data / "postmaster.pid").unlink()

    def postmaster_pid(self) -> int:
        return int((self.data / "postmaster.pid").read_text().splitlines()[0])

    def remove(self) -> None:
        """Stop the cluster if it runs (immediate shutdown) and delete its directory."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(RuntimeError):
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bin / program), *args]
        if self._as_root:
            command = ["runuser", "-u", RUN_AS, "--", *command]
        done = subprocess.run(
            command, check=False, capture_output=True, text=True, cwd=self.root, timeout=START_TIMEOUT_S
        )
        if done.returncode != 0:
            log = self.root / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}\n{tail}")


def _children(pid: int) -> list[int]:
    """Direct children of ``pid`` (every PostgreSQL process is a child of the postmaster)."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            children.append(int(entry.name))
    return children


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not exited (a zombie has)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _exists(pid: int) -> bool:
    """Whether ``pid`` is still in the process table (running, or a zombie not reaped yet)."""
    return Path(f"/proc/{pid}").exists()


def _wait_until(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _version(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in path.parent.name.split(".") if part.isdigit())
