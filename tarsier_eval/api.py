"""The Python API: score predictions, read samples, runs and paper tables as pandas DataFrames (docs/python-api.md).

    import tarsier_eval as te
    result = te.score("tvbench", predictions_df, data_root="/data/benchmarks")   # list of dicts, JSONL path, DataFrame
    result.headline_value, result.metrics["overall"], result.samples             # samples: a DataFrame
    te.samples("tvbench", "/data/benchmarks")                                   # the sample export as a DataFrame
    te.runs()                                                                   # the results index, one row per number
    run = te.load_run("t2-7b"); run.scores, run.samples, run.manifest
    te.table("short-qa", ["t2-7b"], with_reference=True)                        # Markdown; format="dataframe"

Every function goes through the machinery of the command line (data/load.py, runner/score_only.py,
report/runs.py, report/index.py, report/tables.py, report/render.py), so the numbers are the CLI's. pandas is
imported when a function needs it; nothing here imports torch or transformers (no model is run).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tarsier_eval.errors import UsageError

if TYPE_CHECKING:
    import pandas as pd

    from tarsier_eval.data.sample import LoadResult
    from tarsier_eval.report.runs import Run
    from tarsier_eval.rundir import Manifest, SampleRow, TaskEntry
    from tarsier_eval.scoring.types import Prediction

__all__ = ["RunData", "ScoreResult", "load_run", "runs", "samples", "score", "table"]

DEFAULT_RESULTS = Path("results")
SAMPLE_COLUMNS = ("sample_id", "task", "subset", "video", "prompt", "options", "answer", "source_file",
                  "source_pointer")  # fmt: skip
ROW_COLUMNS = ("sample_id", "task", "subset", "video", "prompt", "response", "parsed", "score", "status", "error",
               "detail")  # fmt: skip
INDEX_COLUMNS = ("run_id", "created", "model", "fingerprint", "status", "task", "subset", "metric", "value", "n",
                 "ci_low", "ci_high", "path")  # fmt: skip


def _rows_frame(rows: Sequence[SampleRow]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame([r.to_json() for r in rows], columns=list(ROW_COLUMNS))


def _metrics_frame(entries: dict[str, TaskEntry]) -> pd.DataFrame:
    import pandas as pd

    records = [(task, subset, metric, value) for task, entry in entries.items()
               for subset, metrics in entry.metrics.items() for metric, value in metrics.items()]  # fmt: skip
    return pd.DataFrame(records, columns=["task", "subset", "metric", "value"])


# ---- score ------------------------------------------------------------------------------------------------------
@dataclass
class ScoreResult:
    """A task scored from predictions: the scores.json entry's numbers, and the samples.jsonl rows as `.samples`."""

    entry: TaskEntry
    rows: list[SampleRow] = field(repr=False)
    failed: bool = False  # sample errors, missing predictions, failed judging or unusable records (CLI exit 1)

    @property
    def task(self) -> str:
        return self.entry.task

    @property
    def headline(self) -> str:
        return self.entry.headline

    @property
    def headline_value(self) -> float | None:
        return self.entry.headline_value

    @property
    def metrics(self) -> dict[str, dict[str, float | None]]:
        """metrics[subset][metric], "overall" included (scores.json's `metrics`)."""
        return self.entry.metrics

    @property
    def notes(self) -> list[str]:
        return self.entry.notes

    @property
    def counts(self) -> dict[str, int]:
        """n, n_scored, n_unparsed, n_missing, n_errors, n_judge_failed, n_unjudged."""
        e = self.entry
        return {"n": e.n, "n_scored": e.n_scored, "n_unparsed": e.n_unparsed, "n_missing": e.n_missing,
                "n_errors": e.n_errors, "n_judge_failed": e.n_judge_failed, "n_unjudged": e.n_unjudged}  # fmt: skip

    @property
    def samples(self) -> pd.DataFrame:
        """One row per sample (samples.jsonl's columns), then one error row per unusable annotation record."""
        return _rows_frame(self.rows)

    @property
    def metrics_frame(self) -> pd.DataFrame:
        """The metrics long-form: task, subset, metric, value."""
        return _metrics_frame({self.task: self.entry})

    def __repr__(self) -> str:
        value = "-" if self.headline_value is None else f"{self.headline_value:.2f}"
        return f"ScoreResult({self.task}: {self.headline}={value}, n={self.entry.n}, scored={self.entry.n_scored})"


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _frame_records(frame: pd.DataFrame) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """A DataFrame's rows as prediction records; pandas' NaN (a missing cell) reads as null."""
    for index, record in zip(frame.index, frame.to_dict("records"), strict=True):
        where = f"predictions row {index!r}"
        yield where, where, {str(k): None if _missing(v) else v for k, v in record.items()}


def _list_records(items: Iterable[Any]) -> Iterator[tuple[str, str, Any]]:
    for i, item in enumerate(items):
        yield f"predictions[{i}]", f"predictions[{i}]", item


def read_predictions(predictions: Any, on_duplicate: str = "error") -> dict[str, Prediction]:
    """sample_id -> Prediction from a JSONL path, a pandas DataFrame or a list of dicts (`sample_id`, `response`,
    optional `error`), checked by the rules of `tarsier-eval score` (runner/predictions.py)."""
    import pandas as pd

    from tarsier_eval.runner import predictions as preds

    if isinstance(predictions, (str, Path)):
        return preds.read_predictions(Path(predictions), on_duplicate)
    if isinstance(predictions, pd.DataFrame):
        return preds.collect_predictions(_frame_records(predictions), "the predictions DataFrame", on_duplicate)
    if isinstance(predictions, (list, tuple)):
        return preds.collect_predictions(_list_records(predictions), "the predictions list", on_duplicate)
    raise TypeError(f"predictions: a list of dicts, a JSONL path or a pandas DataFrame, not {type(predictions)}")


def _judge(judge: Any) -> Any:
    """None, a Judge (tarsier_eval.judges.base.Judge: has `run`), or a dict of OpenAIJudge settings (`model`
    required; `cache` a SQLite path or None; the rest JudgeConfig fields, see judges/commands.py make_judge)."""
    if judge is None or hasattr(judge, "run"):
        return judge
    if isinstance(judge, dict):
        from tarsier_eval.judges.commands import make_judge

        settings = dict(judge)
        if not isinstance(settings.get("model"), str):
            raise UsageError("judge settings need 'model' (the judge model or deployment name)")
        return make_judge(settings.pop("model"), **settings)
    raise TypeError(f"judge: a Judge object or a dict of settings, not {type(judge)}")


def score(
    task: str, predictions: Any, *, data_root: str | Path | None = None, protocol: str | None = None,
    judge: Any = None, options: dict[str, Any] | None = None, loader_options: dict[str, Any] | None = None,
    seed: int = 0, on_duplicate: str = "error", output: str | Path | None = None,
) -> ScoreResult:  # fmt: skip
    """Score predictions made anywhere, as `tarsier-eval score` does (same loading, scorer, options and numbers).

    `predictions`: a list of dicts, a JSONL path or a pandas DataFrame with `sample_id` and `response` (and
    `error` for a failed generation). `data_root`: the folder holding each benchmark's folder (default
    $TARSIER_EVAL_DATA_ROOT). `judge`: a Judge object or a dict of settings for the OpenAI-compatible judge
    (e.g. {"model": "gpt-4o", "base_url": URL, "budget_usd": 5}). `options`: scorer options (`--score-options`),
    `loader_options`: loader options. `protocol`: a scoring protocol (default: the task's `paper`). `output`: also write
    the run-dir files there (scores.json, samples.jsonl, manifest.json), as `score --output` does.
    """
    from tarsier_eval.runner.evaluate import task_entry
    from tarsier_eval.runner.score_only import score_task_predictions, write_score_dir

    chosen = _judge(judge)
    outcome = score_task_predictions(
        task, read_predictions(predictions, on_duplicate), data_root=str(data_root) if data_root else None,
        options=dict(options or {}), seed=seed, judge=chosen, loader_options=dict(loader_options or {}),
        protocol=protocol,
    )  # fmt: skip
    if output is not None:
        source = str(predictions) if isinstance(predictions, (str, Path)) else f"<{type(predictions).__name__}>"
        write_score_dir(Path(output), outcome, ["tarsier_eval.api.score", task], source, chosen)
    return ScoreResult(task_entry(outcome.scores), outcome.rows, outcome.failed)


# ---- samples ----------------------------------------------------------------------------------------------------
def _load(
    task: str, data_root: str | Path | None, limit: int | None, loader_options: dict[str, Any] | None
) -> LoadResult:
    from tarsier_eval.data.load import load_samples
    from tarsier_eval.data.roots import resolve_data_root
    from tarsier_eval.registry import get_task

    spec = get_task(task)
    if spec.loader is None:
        raise UsageError(f"task {spec.name} is planned and has no loader yet")
    root = resolve_data_root(spec, str(data_root) if data_root else None)
    return load_samples(spec, root, limit, loader_options)


def samples(
    task: str, data_root: str | Path | None = None, *, limit: int | None = None,
    loader_options: dict[str, Any] | None = None,
) -> pd.DataFrame:  # fmt: skip
    """A task's samples as `tarsier-eval samples` exports them, one row each: sample_id, task, subset, video,
    prompt, options, answer, source_file, source_pointer. Records that could not be loaded are in
    `.attrs["issues"]` ("file#pointer: why") and are announced with a warning."""
    import warnings

    import pandas as pd

    loaded = _load(task, data_root, limit, loader_options)
    records = []
    for sample in loaded.samples:
        record = sample.export()
        source = record.pop("source")
        records.append({**record, "source_file": source["file"], "source_pointer": source["pointer"]})
    frame = pd.DataFrame(records, columns=list(SAMPLE_COLUMNS))
    frame.attrs["issues"] = [str(issue) for issue in loaded.issues]
    if loaded.issues:
        warnings.warn(f"{task}: {len(loaded.issues)} annotation records could not be loaded, e.g. "
                      f"{loaded.issues[0]} (see .attrs['issues'])", stacklevel=2)  # fmt: skip
    return frame


# ---- runs -------------------------------------------------------------------------------------------------------
def runs(results_root: str | Path = DEFAULT_RESULTS) -> pd.DataFrame:
    """The SQLite results index of `results_root`: one row per run x task x subset x metric (value, n, 95% CI)
    with the run's created time, model, fingerprint, status and path (`tarsier-eval runs`, long-form)."""
    import pandas as pd

    from tarsier_eval.report.index import index_path, results

    root = Path(results_root)
    rows = results(root) if index_path(root).is_file() else []  # reading creates nothing
    return pd.DataFrame(rows, columns=list(INDEX_COLUMNS))


@dataclass
class RunData:
    """A run read from its run dir: `.manifest` (rundir.Manifest), `.scores` (task -> rundir.TaskEntry),
    `.samples` (samples.jsonl as a DataFrame), `.metrics` (task, subset, metric, value)."""

    run: Run = field(repr=False)

    @property
    def run_id(self) -> str:
        return self.run.run_id

    @property
    def path(self) -> Path:
        return self.run.path

    @property
    def manifest(self) -> Manifest:
        return self.run.manifest

    @property
    def scores(self) -> dict[str, TaskEntry]:
        return self.run.scores

    @property
    def flags(self) -> list[str]:
        """Warnings that travel with the run's numbers (incomplete, changed settings, model load warnings)."""
        return self.run.flags

    @property
    def samples(self) -> pd.DataFrame:
        return _rows_frame(self.run.samples)

    @property
    def metrics(self) -> pd.DataFrame:
        return _metrics_frame(self.run.scores)

    def __repr__(self) -> str:
        return f"RunData({self.run_id}: {', '.join(self.run.scores)}; {self.run.manifest.status})"


def load_run(run: str | Path, results_root: str | Path = DEFAULT_RESULTS) -> RunData:
    """A run by run id (under <results_root>/runs/), run dir path, or `a,b` / `LABEL=a,b` (runs of one model as
    one, as the report commands take them)."""
    from tarsier_eval.report.runs import resolve_runs

    return RunData(resolve_runs(str(run), Path(results_root)))


# ---- tables -----------------------------------------------------------------------------------------------------
def table(
    layout: str, runs: Iterable[str | Path | RunData] = (), *, format: str = "md", with_reference: bool = False,
    group: str | None = None, split: int = 1, results_root: str | Path = DEFAULT_RESULTS,
) -> str | pd.DataFrame:  # fmt: skip
    """A paper-layout table (`tarsier-eval table`): the rendered text for format md, html, latex or csv, or the
    long-form numbers for format "dataframe" (one row per printed number, the CSV's columns; `value` a float, NaN
    where the table prints "-"). `runs`: run ids, run dirs, `a,b` merges or `load_run` results."""
    from tarsier_eval.report.reference import load_reference
    from tarsier_eval.report.render import render, table_frame
    from tarsier_eval.report.runs import resolve_runs
    from tarsier_eval.report.tables import build_view, split_view

    if format in ("csv", "dataframe") and split != 1:
        raise UsageError("split lays out a printed table; csv and dataframe are one line per number")
    chosen = [r.run if isinstance(r, RunData) else resolve_runs(str(r), Path(results_root)) for r in runs]
    view = build_view(layout, load_reference(), chosen, with_reference=with_reference, run_group=group)
    if format == "dataframe":
        import pandas as pd

        frame = table_frame(view)
        frame["value"] = pd.to_numeric(frame["value"], errors="coerce")  # a printed "-" is NaN
        return frame
    return render(split_view(view, split), format)
