"""lmms-eval interoperability (docs/lmms-eval.md).

- `logs`: reading lmms-eval `--log_samples` files (`<date>_samples_<task>.jsonl`, one line per document).
- `tasks`: per benchmark, which lmms-eval tasks hold it and what a log document says about its content.
- `mapping`: lmms-eval documents -> this harness's sample ids, by content (never by position).
- `importer`: `score --from lmms-eval LOG...`: a predictions file for the normal scoring path, plus notes.
- `export`: `export --format lmms-eval RUN`: a run dir in lmms-eval's `--log_samples` layout.
None of these import lmms-eval; the model backend (`tarsier_eval.models.lmms_eval`) does, when used.
"""
