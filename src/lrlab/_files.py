"""Writing files so that a reader, or a crash, never sees half of one.

Every file lrlab writes (metrics, plots, reports, tune results,
checkpoints) goes through :func:`write_atomically`; every folder it is
about to make is first tried with :func:`creation_problem`.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

__all__ = ["creation_problem", "default_mode", "write_atomically"]


def write_atomically(
    path: str | os.PathLike[str], data: bytes, *, durable: bool = False
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new.

    The bytes go to a temporary file in the same folder
    (``.NAME.XXXXXXXX.tmp``), which is then renamed over ``path`` with
    ``os.replace``; on any error the temporary file is removed and
    ``path`` is left as it was. The new file gets the permissions of the
    file it replaces, or those a plain ``open`` would give.

    Args:
        durable: also flush the file and the rename to the disk (fsync of
            the file and of its folder), so that a power cut after the
            call returns cannot lose it. Checkpoints ask for this.
    """
    target = Path(path)
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = default_mode(0o666)
    handle, temporary = tempfile.mkstemp(
        dir=target.parent, prefix=f".{target.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
            os.fchmod(file.fileno(), mode)
            if durable:
                file.flush()
                os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    if durable:
        _sync_folder(target.parent)


def creation_problem(path: str | os.PathLike[str]) -> str | None:
    """Why a folder could not be made at ``path``, or None if it could.

    Looks at the nearest path at or above ``path`` that exists: it must be
    a folder, and a folder must be creatable in it. That is tried (a
    temporary folder made and removed) because permissions alone do not
    tell (root, read-only file systems).
    """
    existing = Path(path).absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{str(existing)!r} is a file, not a folder"
    try:
        os.rmdir(tempfile.mkdtemp(dir=existing, prefix=".lrlab-", suffix=".try"))
    except OSError as error:
        reason = error.strerror or str(error)
        return f"cannot create a folder in {str(existing)!r}: {reason}"
    return None


def default_mode(mode: int) -> int:
    """``mode`` less the process's umask: what ``open`` or ``mkdir`` gives."""
    # The only way to read the umask is to set it; put it straight back.
    mask = os.umask(0o022)
    os.umask(mask)
    return mode & ~mask


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the system allows it)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
