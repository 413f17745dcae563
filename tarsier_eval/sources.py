"""DataSources: where a benchmark's files come from, read from a task YAML's `data.sources` (data only, no code).

```yaml
data:
  sources:
    annotations: [GitHub bytedance/tarsier data/annotations/TVBench.jsonl]   # text, one line per source
    media: [HF FunAILab/TVBench video/ -> TVBench/video/]
    snapshot: >-                     # how the official Hugging Face snapshot lays the files out, what to unpack
      HF FunAILab/TVBench: json/<task>.json (MVBench format, not read here), video/<task_folder>/...
    sha256: {TVBench.jsonl: 04183b1e...}   # official annotation name -> sha256 of the complete official file
```
`tarsier-eval tasks --verbose` prints them; `tarsier-eval data check` compares annotation checksums with `sha256`
and names the sources of what is missing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tarsier_eval.errors import ConfigError

_KEYS = {"annotations", "media", "snapshot", "sha256"}
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DataSources:
    """Official sources of a task's annotation files and media, as text, and the known checksums."""

    annotations: tuple[str, ...] = ()
    media: tuple[str, ...] = ()
    snapshot: str = ""
    sha256: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable lines: what to download from where."""
        out = [f"annotations: {a}" for a in self.annotations] + [f"media: {m}" for m in self.media]
        return out + ([f"as downloaded: {self.snapshot}"] if self.snapshot else [])


def _texts(raw: Any, key: str, path: Path) -> tuple[str, ...]:
    items = [raw] if isinstance(raw, str) else raw or []
    if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
        raise ConfigError(f"{path}: data.sources.{key} must be a text or a list of texts, got {raw!r}")
    return tuple(i.strip() for i in items)


def parse_sources(raw: Any, path: Path) -> DataSources:
    """Validate a `data.sources` mapping (absent: no sources known)."""
    if raw is None:
        return DataSources()
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: data.sources must be a mapping")
    unknown = set(raw) - _KEYS
    if unknown:
        raise ConfigError(f"{path}: data.sources: unknown keys {sorted(unknown)} (known: {sorted(_KEYS)})")
    sha = raw.get("sha256") or {}
    if not isinstance(sha, dict) or not all(isinstance(v, str) and _SHA256.match(v) for v in sha.values()):
        raise ConfigError(f"{path}: data.sources.sha256 maps annotation names to 64 lower-case hex digits")
    snapshot = raw.get("snapshot") or ""
    if not isinstance(snapshot, str):
        raise ConfigError(f"{path}: data.sources.snapshot must be a text")
    return DataSources(
        annotations=_texts(raw.get("annotations"), "annotations", path),
        media=_texts(raw.get("media"), "media", path),
        snapshot=" ".join(snapshot.split()),
        sha256={str(k): v for k, v in sha.items()},
    )
