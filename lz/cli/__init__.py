"""lz's tooling: runs on the developer's machine and in CI, never inside a bundle."""
