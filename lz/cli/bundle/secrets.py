"""What looks secret in a project: by name (the files and folders that credential tools, cloud
CLIs, SSH, GPG, Terraform and friends write), and by content (a private key or a credential field
inside a JSON/YAML/INI/TOML/.cfg file).

The name rules follow what secret scanners (gitleaks, trufflehog, GitHub's sensitive-file list)
flag. The content rules only fire on strong signals: a PEM private key with a body, a credential
field whose value looks random (not a placeholder, an ${ENV} reference, an env var name or a path),
or a token whose shape its issuer fixed (AKIA..., ghp_..., xoxb-..., sk_live_...). Python files
are never read for content: code that reads SECRET_KEY from the environment is not a secret, and
dropping a module would break the app.

Each rule returns a short description of why, which `lz package --explain` shows.
"""

from __future__ import annotations

import fnmatch
import math
import re
from pathlib import Path

# Folders whose every file is a credential or key store.
SECRET_DIRS = {
    ".ssh": "SSH keys and config", ".aws": "AWS CLI credentials", ".gnupg": "GPG keyring",
    ".kube": "Kubernetes credentials", ".docker": "Docker registry credentials",
    ".azure": "Azure CLI credentials", ".oci": "Oracle Cloud credentials",
    ".password-store": "pass password store", ".terraform": "Terraform state and provider data",
    ".vagrant": "Vagrant machine keys", ".secrets": "a secrets folder",
    ".credentials": "a credentials folder",
}
# The same, but only when the folder is not a Python package (myapp/secrets/__init__.py is code).
SECRET_DIRS_UNLESS_PACKAGE = {"secrets": "a secrets folder", "credentials": "a credentials folder"}
SECRET_DIR_PATHS = {".config/gcloud": "gcloud credentials", ".config/gh": "GitHub CLI tokens"}

# fnmatch patterns on the lower-cased file name.
SECRET_NAMES = [
    # environment files
    ".env", ".env.*", "*.env", ".envrc",
    # private keys, certificates with keys, key stores
    "*.pem", "*.key", "*.p12", "*.pfx", "*.pkcs12", "*.p8", "*.jks", "*.keystore", "*.bks", "*.ppk",
    "*.kdb", "*.kdbx", "*.keychain", "*.keychain-db", "*.gpg", "*.pgp", "private*.asc", "*private*.asc",
    "*secret*.asc", "secring.*", "*.ovpn", "private_key",
    # SSH
    "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*", "*_rsa", "*_dsa", "*_ecdsa", "*_ed25519",
    "ssh_host_*", "authorized_keys", "known_hosts",
    # cloud and tool credentials
    "credentials", "rootkey.csv", "accesskeys.csv", "*_accesskeys.csv", "token.json", "token.pickle",
    "keyfile.json", "key.json", "*-key.json", "*_key.json", "accesstokens.json", "azureprofile.json",
    "msal_token_cache.*", ".netrc", "_netrc", ".pypirc", ".npmrc", ".yarnrc", ".yarnrc.yml",
    ".git-credentials", ".gitcookies", ".vault-token", ".s3cfg", ".boto", ".passwd-s3fs",
    "passwd-s3fs", ".my.cnf", ".mylogin.cnf", ".pgpass", "pgpass.conf", ".htpasswd", "htpasswd",
    ".dockercfg", ".dockerconfigjson", "kubeconfig", "kubeconfig*", "*.kubeconfig", ".kubeconfig",
    ".databrickscfg", "sftp-config.json", ".ftpconfig", "sitemanager.xml", "recentservers.xml",
    # Terraform
    "*.tfstate", "*.tfstate.*", "*.tfvars", "*.tfvars.json", ".terraformrc", "terraform.rc",
    # shell and database histories (commands with passwords in them)
    ".*_history", ".history",
]
# A data file whose name holds one of these words is a secret store (client_secret_x.json,
# secrets.prod.yaml, gcp-service-account.json, x-firebase-adminsdk-y.json, credentials.yml.enc).
SECRET_WORDS = ("secret", "credential", "password", "passwd", "service-account", "service_account",
                "serviceaccount", "adminsdk", "accesskey", "rootkey")
DATA_EXTS = {".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".cnf", ".env", ".txt",
             ".xml", ".csv", ".enc", ".properties", ".pickle", ".plist"}
# Files whose content is read for keys and credential fields.
CONTENT_EXTS = {".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".cnf", ".properties",
                ".xml", ".txt"}
CONTENT_LIMIT = 2 * 1024 * 1024  # bytes read per file: credentials live at the top of small files


def secret_dir(name: str, rel: str, is_package: bool) -> str | None:
    """Why the folder `name` (at project path `rel`) is a secret store, or None."""
    lowered = name.lower()
    if lowered in SECRET_DIRS:
        return f"{name}/: {SECRET_DIRS[lowered]}"
    if lowered in SECRET_DIRS_UNLESS_PACKAGE and not is_package:
        return f"{name}/: {SECRET_DIRS_UNLESS_PACKAGE[lowered]} (not a Python package)"
    rel = rel.lower()
    for path, what in SECRET_DIR_PATHS.items():
        if rel == path or rel.endswith("/" + path):
            return f"{path}/: {what}"
    return None


def secret_name(name: str) -> str | None:
    """Why a file called `name` is secret-looking, or None."""
    lowered = name.lower()
    for pattern in SECRET_NAMES:
        if fnmatch.fnmatchcase(lowered, pattern):
            return f'matches "{pattern}"'
    stem, dot, _ = lowered.partition(".")
    ext = "." + lowered.rsplit(".", 1)[1] if dot else ""
    if ext in DATA_EXTS:
        for word in SECRET_WORDS:
            if word in stem:
                return f'a {ext} file named with "{word}"'
    return None


# --- content ---------------------------------------------------------------------------------

_PRIVATE_KEY = re.compile(
    rb"-----BEGIN[ A-Z0-9]{0,24}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,400}?[A-Za-z0-9+/]{40}")
_AWS_SECRET = re.compile(
    rb"""(?i)(?:aws_?)?secret_?access_?key["']?\s*[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])""")
_AWS_SESSION = re.compile(rb"""(?i)(?:aws_)?session_?token["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{100,}""")
_AWS_KEY_ID = re.compile(rb"(?<![A-Za-z0-9])((?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})(?![A-Za-z0-9])")
_TOKENS = [
    (re.compile(rb"(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,}"), "a GitHub token"),
    (re.compile(rb"github_pat_[A-Za-z0-9_]{60,}"), "a GitHub token"),
    (re.compile(rb"glpat-[A-Za-z0-9_-]{20,}"), "a GitLab token"),
    (re.compile(rb"xox[abposr]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(rb"hooks\.slack\.com/services/T[A-Z0-9]+/B[A-Z0-9]+/[A-Za-z0-9]{16,}"), "a Slack webhook"),
    (re.compile(rb"(?<![A-Za-z0-9])[rs]k_live_[A-Za-z0-9]{20,}"), "a Stripe live key"),
    (re.compile(rb"GOCSPX-[A-Za-z0-9_-]{20,}"), "a Google OAuth client secret"),
    (re.compile(rb"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"), "a PyPI token"),
    (re.compile(rb"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])"), "an npm token"),
    (re.compile(rb"sk-ant-[a-z]+\d\d-[A-Za-z0-9_-]{80,}"), "an Anthropic API key"),
    (re.compile(rb"sk-(?:proj-)?[A-Za-z0-9_-]{16,}T3BlbkFJ[A-Za-z0-9_-]{16,}"), "an OpenAI API key"),
    (re.compile(rb"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"), "a SendGrid API key"),
]
# Credential fields: flagged only when the value looks like a real secret (see _looks_random).
_FIELDS = re.compile(
    rb"""(?i)["']?[\w.-]*?(client_secret|private_?key|api_secret|app_secret|consumer_secret|secret_key"""
    rb"""|signing_secret|webhook_secret|refresh_token|access_token|auth_token|api_key|apikey)\b["']?"""
    rb"""[ \t]*[:=][ \t]*["']?([^\s"',;{}\[\]]{16,})""")
_PLACEHOLDERS = ("example", "sample", "dummy", "change", "your", "xxxx", "placeholder", "redacted",
                 "replace", "todo", "fixme", "insert", "fake", "test", "env", "secret")


def _entropy(text: str) -> float:
    counts = {c: text.count(c) for c in set(text)}
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_random(value: str) -> bool:
    """True for a value that is a secret itself, not a reference to one: long enough, letters and
    digits mixed, varied (entropy), and not a placeholder, template, env var name, path or URL."""
    lowered = value.lower()
    if value[0] in "$<!%{~./\\" or "${" in value or "{{" in value or "://" in value:
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", value) or re.search(r"\.[A-Za-z]{2,5}$", value):
        return False  # an environment variable's name, or a file name
    if any(word in lowered for word in _PLACEHOLDERS):
        return False
    if not (re.search(r"[A-Za-z]", value) and re.search(r"\d", value)):
        return False
    return _entropy(value) >= 3.3


def _line(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def secret_content(path: Path, name: str | None = None) -> str | None:
    """What secret the file holds (and on which line), or None; only for the data formats of
    CONTENT_EXTS (by the file's name or, for a link, its own `name`), and never for a file that
    cannot be read (the copy step reports that)."""
    if path.suffix.lower() not in CONTENT_EXTS and Path(name or "").suffix.lower() not in CONTENT_EXTS:
        return None
    try:
        with open(path, "rb") as f:
            data = f.read(CONTENT_LIMIT)
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None  # binary, whatever its name says
    found = _PRIVATE_KEY.search(data)
    if found:
        return f"a private key (line {_line(data, found.start())})"
    for match in _AWS_SECRET.finditer(data):
        if b"EXAMPLE" not in match.group(1).upper():
            return f"an AWS secret access key (line {_line(data, match.start())})"
    found = _AWS_SESSION.search(data)
    if found:
        return f"an AWS session token (line {_line(data, found.start())})"
    for match in _AWS_KEY_ID.finditer(data):
        if not match.group(1).endswith(b"EXAMPLE"):
            return f"an AWS access key id (line {_line(data, match.start())})"
    for pattern, what in _TOKENS:
        found = pattern.search(data)
        if found:
            return f"{what} (line {_line(data, found.start())})"
    for match in _FIELDS.finditer(data):
        value = match.group(2).decode("utf-8", "replace")
        if _looks_random(value):
            field_name = match.group(1).decode()
            return f'a literal "{field_name}" value (line {_line(data, match.start())})'
    return None
