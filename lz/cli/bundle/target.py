"""What a bundle is built for: Lambda's Python version, architecture and glibc.

Lambda's Python 3.12+ runtimes run on Amazon Linux 2023 (glibc 2.34), so every manylinux wheel
from manylinux2014 (2.17) up to 2.34 fits; uv is told the 2.34 platform and widens it itself.
"""

from __future__ import annotations

from dataclasses import dataclass

GLIBC = (2, 34)


@dataclass(frozen=True)
class Target:
    python_version: str  # "3.13"
    architecture: str  # "x86_64" | "arm64"

    @property
    def machine(self) -> str:
        return "aarch64" if self.architecture == "arm64" else "x86_64"

    @property
    def uv_platform(self) -> str:
        return f"{self.machine}-manylinux_{GLIBC[0]}_{GLIBC[1]}"

    @property
    def abi(self) -> str:
        return "cp" + self.python_version.replace(".", "")

    def platform_tags(self) -> list[str]:
        """Every Linux platform tag a wheel may carry and still run here, newest first."""
        tags = [f"manylinux_2_{minor}_{self.machine}" for minor in range(GLIBC[1], 16, -1)]
        return tags + [f"manylinux2014_{self.machine}", "any"]

    def accepts(self, platform_tag: str) -> bool:
        return platform_tag in self.platform_tags()

    def describe(self) -> str:
        return f"Python {self.python_version} on {self.machine} (manylinux up to 2.{GLIBC[1]})"
