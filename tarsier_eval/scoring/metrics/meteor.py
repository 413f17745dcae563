"""METEOR 1.5 as pycocoevalcap computes it, by running the same Java jar (it cannot be reproduced without it: it
matches through the jar's stemmer, WordNet synonyms and a 60 MB paraphrase table).

`meteor_scorer(option)` gives a scorer when a JRE (`java` on PATH) and `meteor-1.5.jar` are there: `option` is a
path to the jar, or "auto" for the jar of an installed `pycocoevalcap` package; otherwise None (the metric is not
computed). The JVM takes 20 s or more to load the jar's tables, so one process per jar serves the whole Python
process (closed at exit). The scorer speaks the jar's `-stdio` protocol as pycocoevalcap's `Meteor.compute_score`
does: one `SCORE ||| ref ||| ... ||| hyp` line per key (the hypothesis without "|||" and with double spaces made
single), then `EVAL ||| stats ||| ...`, whose last answer line is the corpus score.
"""

from __future__ import annotations

import atexit
import importlib.util
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any


def find_jar(option: Any) -> Path | None:
    """The jar `option` names ("auto": pycocoevalcap's), or None when it or a JRE is missing."""
    if not option or shutil.which("java") is None:
        return None
    if option == "auto":
        spec = importlib.util.find_spec("pycocoevalcap")
        if spec is None or not spec.submodule_search_locations:
            return None
        option = Path(next(iter(spec.submodule_search_locations))) / "meteor" / "meteor-1.5.jar"
    path = Path(option)
    return path if path.is_file() else None


class Meteor:
    """A running `java -jar meteor-1.5.jar - - -stdio -l en -norm` (pycocoevalcap's command line)."""

    def __init__(self, jar: Path) -> None:
        command = ["java", "-jar", "-Xmx2G", str(jar), "-", "-", "-stdio", "-l", "en", "-norm"]
        self._proc = subprocess.Popen(command, cwd=jar.parent, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.DEVNULL, text=True, encoding="utf-8")  # fmt: skip
        self._lock = threading.Lock()

    def _ask(self, line: str) -> str:
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(line + "\n")
        self._proc.stdin.flush()
        return self._proc.stdout.readline().strip()

    def __call__(self, refs: Mapping[Any, Sequence[str]], hyps: Mapping[Any, str]) -> float:
        """The corpus METEOR of `hyps` against `refs` (keyed alike, PTB-tokenized)."""
        with self._lock:
            stats = []
            for key, hyp in hyps.items():
                hyp = hyp.replace("|||", "").replace("  ", " ")
                stats.append(self._ask(" ||| ".join(("SCORE", " ||| ".join(refs[key]), hyp))))
            self._ask(" ||| ".join(("EVAL", *stats)))  # the first per-segment score
            for _ in range(len(stats) - 1):
                self._proc.stdout.readline()  # type: ignore[union-attr]
            return float(self._proc.stdout.readline().strip())  # type: ignore[union-attr]

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        self._proc.kill()
        self._proc.wait()


@cache
def _shared(jar: Path) -> Meteor:
    meteor = Meteor(jar)
    atexit.register(meteor.close)
    return meteor


def meteor_scorer(option: Any) -> Meteor | None:
    """The METEOR scorer of the jar `option` names, or None when no JRE or jar is available."""
    jar = find_jar(option)
    return _shared(jar.resolve()) if jar is not None else None
