"""tarsier-eval: the evaluation harness of the Tarsier2 paper (arXiv 2501.07888).

The Python API (`score`, `samples`, `runs`, `load_run`, `table`; docs/python-api.md) is importable from here; it is
loaded on first use, so `import tarsier_eval` and the command line stay fast.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["RunData", "ScoreResult", "__version__", "load_run", "runs", "samples", "score", "table"]
_API = {"RunData", "ScoreResult", "load_run", "runs", "samples", "score", "table"}


def __getattr__(name: str) -> Any:
    if name in _API:
        from tarsier_eval import api

        return getattr(api, name)
    raise AttributeError(f"module 'tarsier_eval' has no attribute {name!r}")
