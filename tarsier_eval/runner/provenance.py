"""What a manifest records about where a run came from: run ids, git sha, package versions, secret redaction."""

from __future__ import annotations

import re
import secrets
import subprocess
from datetime import datetime, timezone
from importlib import metadata
from typing import Any

from tarsier_eval.registry import REPO_ROOT

SECRET_KEY = re.compile(
    r"(?:^|[_\-.])(?:api[_\-]?key|key|token|secret|password|passwd|auth|authorization)(?:$|[_\-.])", re.IGNORECASE
)  # a secret's name: "api_key", "hf_token"; not "max_new_tokens"
PACKAGES = ("tarsier-eval", "torch", "torchvision", "transformers", "av", "decord2", "openai", "numpy",
            "sacrebleu", "flash-attn")  # fmt: skip


def new_run_id(model: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    safe_model = re.sub(r"[^A-Za-z0-9._-]+", "-", model)[:40]
    return f"{stamp}-{safe_model}-{secrets.token_hex(3)}"


def is_secret_key(key: str) -> bool:
    """A key that names a secret (`api_key=...`), not the variable holding one (`api_key_env=OPENAI_API_KEY`)."""
    return bool(SECRET_KEY.search(key)) and "env" not in key.lower()


def redact(args: dict[str, Any]) -> dict[str, Any]:
    """Model/judge arguments safe to store: values of secret keys are replaced."""
    return {k: ("<redacted>" if is_secret_key(k) else v) for k, v in args.items()}


def redact_argv(argv: list[str]) -> list[str]:
    """A command line safe to store: in `k=v,k2=v2` arguments the values of secret keys are replaced."""
    out = []
    for arg in argv:
        if "=" in arg and not arg.startswith("-"):
            pairs = [p.split("=", 1) if "=" in p else [p] for p in arg.split(",")]
            arg = ",".join(f"{p[0]}=<redacted>" if len(p) == 2 and is_secret_key(p[0]) else "=".join(p) for p in pairs)
        out.append(arg)
    return out


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def git_sha() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
