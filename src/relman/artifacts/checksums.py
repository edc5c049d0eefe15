"""``SHA256SUMS`` and the release README (``README.rst`` and ``README.md``) listing
every file with its size and SHA256, as NumPy's ``write_release`` does.
"""

from __future__ import annotations

from pathlib import Path

from relman import _atomic
from relman._atomic import sha256_file
from relman.artifacts.names import artifact_files
from relman.errors import UsageError

__all__ = ["write_checksums", "write_release_readme"]


def write_checksums(dir: Path) -> Path:
    """Write ``SHA256SUMS`` (``<hex>  <name>`` per artifact, sorted) in ``dir``."""
    files = sorted(artifact_files(dir), key=lambda p: p.name)
    if not files:
        raise UsageError(f"{dir} has no sdists or wheels", hint="build first: `relman build`")
    text = "".join(f"{sha256_file(p)}  {p.name}\n" for p in files)
    target = Path(dir) / "SHA256SUMS"
    _atomic.write_text(target, text)
    return target


def _human(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"  # pragma: no cover


def write_release_readme(dir: Path, version: str) -> list[Path]:
    """Write ``README.rst`` and ``README.md`` in ``dir``: each file, its size and SHA256."""
    files = sorted(artifact_files(dir), key=lambda p: p.name)
    if not files:
        raise UsageError(f"{dir} has no sdists or wheels", hint="build first: `relman build`")
    rows = [(p.name, p.stat().st_size, sha256_file(p)) for p in files]
    title = f"Release {version}"
    w_name = max(len("File"), *(len(r[0]) for r in rows))
    w_size = max(len("Size"), *(len(str(r[1])) for r in rows))
    w_hash = 64
    sep = f"{'=' * w_name}  {'=' * w_size}  {'=' * w_hash}"
    rst = [title, "=" * len(title), "", "Checksums", "---------", "", sep]
    rst.append(f"{'File':<{w_name}}  {'Size':>{w_size}}  {'SHA256':<{w_hash}}".rstrip())
    rst.append(sep)
    rst += [f"{n:<{w_name}}  {s:>{w_size}}  {h}" for n, s, h in rows]
    rst += [sep, ""]
    md = [f"# {title}", "", "## Checksums", "", "| File | Size | SHA256 |", "| --- | ---: | --- |"]
    md += [f"| `{n}` | {s} ({_human(s)}) | `{h}` |" for n, s, h in rows]
    md.append("")
    out = {Path(dir) / "README.rst": "\n".join(rst), Path(dir) / "README.md": "\n".join(md)}
    _atomic.write_many({p: t.encode("utf-8") for p, t in out.items()})
    return list(out)
