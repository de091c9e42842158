"""A throwaway PostgreSQL + PostGIS cluster for the tests, the benchmarks and the docs test.

:func:`start_cluster` runs Debian's ``initdb`` and ``pg_ctl`` in a temporary directory on a
free loopback port (trust authentication, no fsync: it is thrown away) and returns a
:class:`Cluster` whose ``url`` names a database with the ``postgis`` extension. ``initdb``
refuses to run as root, so under root the cluster belongs to the ``postgres`` user (made by
the Debian package) and every server command runs through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    """The newest ``/usr/lib/postgresql/N/bin`` that has initdb, or ``pg_config --bindir``."""
    candidates = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if candidates:
        return Path(candidates[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def has_postgis(bindir: Path) -> bool:
    """True when the server of ``bindir`` has the PostGIS extension installed."""
    version = bindir.parent.name
    return bool(glob.glob(f"/usr/share/postgresql/{version}/extension/postgis.control"))


def unavailable_reason() -> str | None:
    """Why a throwaway cluster cannot be started here, or None."""
    bindir = find_bindir()
    if bindir is None:
        return "no PostgreSQL server binaries (apt-get install postgresql postgis)"
    if not has_postgis(bindir):
        return f"PostgreSQL in {bindir} has no PostGIS extension (apt-get install postgis)"
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        return "running as root without runuser to drop to the postgres user"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    bindir: Path
    datadir: Path
    port: int
    as_user: list[str]
    url: str

    def run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        """Run a server binary (``pg_ctl``, ``psql``, …) as the cluster's owner."""
        return subprocess.run(
            [*self.as_user, str(self.bindir / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            text=True,
            **kwargs,
        )

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.datadir),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def start_cluster(dbname: str = "fossilgis") -> Cluster:
    """initdb + pg_ctl start on a free port; ``CREATE EXTENSION postgis`` in ``dbname``."""
    reason = unavailable_reason()
    if reason:
        raise RuntimeError(reason)
    bindir = find_bindir()
    root = Path(tempfile.mkdtemp(prefix="fossilgis-pg-"))
    datadir = root / "data"
    as_user: list[str] = []
    user = os.environ.get("USER") or "postgres"
    if os.geteuid() == 0:
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
        user = "postgres"
    else:
        import getpass

        user = getpass.getuser()
    port = _free_port()
    cluster = Cluster(
        bindir, datadir, port, as_user, f"postgresql://{user}@127.0.0.1:{port}/{dbname}"
    )
    cluster.run(
        "initdb",
        "-D",
        str(datadir),
        "-U",
        user,
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
        "--no-sync",
    )
    options = (
        f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    try:
        cluster.run(
            "pg_ctl",
            "-D",
            str(datadir),
            "-l",
            str(root / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        )
        for _ in range(50):
            probe = subprocess.run(
                [str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                capture_output=True,
            )
            if probe.returncode == 0:
                break
            time.sleep(0.1)
        psql = [
            str(bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            user,
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
        ]
        subprocess.run(
            [*psql, "-d", "postgres", "-c", f'CREATE DATABASE "{dbname}"'],
            check=True,
            capture_output=True,
            text=True,
        )
        subprocess.run(
            [*psql, "-d", dbname, "-c", "CREATE EXTENSION postgis"],
            check=True,
            capture_output=True,
            text=True,
        )
    except subprocess.CalledProcessError as exc:
        log = (root / "log").read_text() if (root / "log").exists() else ""
        cluster.stop()
        raise RuntimeError(f"could not start PostgreSQL: {exc.stderr}\n{log}") from None
    return cluster
