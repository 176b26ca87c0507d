"""Third-party browser code shipped with the dashboard, pinned by version and hash.

The dashboard works offline, so the data grid (Tabulator, MIT licence, Oli Folkerd) is
committed under ``web/static/vendor/`` with its licence. This module records where each
file comes from and its SHA-256, checks the committed files (``--check``, also a test)
and re-fetches them from the npm registry (``--fetch``): it downloads the pinned
tarball, checks it against the registry's ``sha512`` integrity string, extracts the
files and checks each against its pin before writing it.

    python -m backchannel.web.vendor --check
    python -m backchannel.web.vendor --fetch     # needs access to registry.npmjs.org
"""

from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR = Path(__file__).parent / "static" / "vendor"


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's dist.integrity of the tarball
    files: dict[str, tuple[str, str]]  # path in the tarball -> (vendored name, sha256)

    @property
    def tarball(self) -> str:
        return f"https://registry.npmjs.org/{self.name}/-/{self.name}-{self.version}.tgz"


PACKAGES = (
    Package(
        name="tabulator-tables",
        version="6.5.3",
        integrity="sha512-nJ2QaqZzQvd9B4rf4LBnRxfb6sSqA/BX2OsXnSJ2d8k21oXDSTtFtOUrDap04a/6BDGivC/"
        "MByCxy43ugadJIg==",
        files={
            "package/dist/js/tabulator.min.js": (
                "tabulator.min.js",
                "ffac518cb793c672a2f0522b7fc80bf862234d96bb1e581c8aaf7f48f130eafa",
            ),
            "package/dist/css/tabulator.min.css": (
                "tabulator.min.css",
                "405ae24218357d80df2a5f3addf138666d035f970dac4ebdb0265d0b5373efcb",
            ),
            "package/LICENSE": (
                "tabulator.LICENSE",
                "191a2ee554684e1064c897b432f0e1bc6dfa714ca045d3f6ea2cf692cbd398b7",
            ),
        },
    ),
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check(vendor: Path = VENDOR) -> list[str]:
    """Problems with the committed files (empty when each matches its pin)."""
    problems = []
    for pkg in PACKAGES:
        for name, digest in pkg.files.values():
            path = vendor / name
            if not path.exists():
                problems.append(f"{name}: missing (run `python -m backchannel.web.vendor --fetch`)")
            elif sha256(path.read_bytes()) != digest:
                problems.append(f"{name}: differs from {pkg.name} {pkg.version} (sha256 mismatch)")
    return problems


def fetch(vendor: Path = VENDOR) -> None:
    """Download each pinned tarball, verify it and write its files into ``vendor``."""
    for pkg in PACKAGES:
        with urllib.request.urlopen(pkg.tarball, timeout=60) as r:
            data = r.read()
        algo, _, want = pkg.integrity.partition("-")
        got = base64.b64encode(hashlib.new(algo, data).digest()).decode()
        if got != want:
            raise SystemExit(f"{pkg.tarball}: integrity mismatch ({algo} {got} != {want})")
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            for member, (name, digest) in pkg.files.items():
                fh = tar.extractfile(member)
                if fh is None:
                    raise SystemExit(f"{pkg.tarball}: no file {member}")
                content = fh.read()
                if sha256(content) != digest:
                    raise SystemExit(f"{member}: sha256 differs from the pin")
                (vendor / name).write_bytes(content)
        print(f"{pkg.name} {pkg.version}: {len(pkg.files)} files written to {vendor}")


def main(argv: list[str]) -> int:
    if argv == ["--fetch"]:
        fetch()
    elif argv not in ([], ["--check"]):
        print(__doc__)
        return 2
    problems = check()
    for p in problems:
        print(p, file=sys.stderr)
    if not problems:
        print("vendored files match their pins")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
