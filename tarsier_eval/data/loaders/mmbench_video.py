"""MMBench-Video loader for `MMBench-Video.tsv` (HF opencompass/MMBench-Video, read by VLMEvalKit).

Columns used: `index` (question id), `video`, `video_path` ("./video/<id>.mp4"), `question`, `answer` (free-form),
`dimensions` (a Python list literal of L3 capability names, read with `ast.literal_eval`). A TSV row's pointer is
`/<row index>` counting data rows from 0 (the header is not a row). The prompt for a video LLM is the question
alone (VLMEvalKit `build_prompt_nopack` with `video_llm`). Unknown dimension names are load issues: the official
aggregation has no bucket for them (it would fail).
"""

from __future__ import annotations

import ast
import csv
from collections.abc import Iterator
from pathlib import PurePosixPath

from tarsier_eval.data.files import AnnotationFiles, pointer
from tarsier_eval.data.records import Item, Loader, Record, RecordError
from tarsier_eval.data.sample import Media
from tarsier_eval.registry import LOADERS

# VLMEvalKit vlmeval/dataset/utils/mmbench_video.py MMV_DIMENSIONS (coarse -> L3 dimensions).
MMV_DIMENSIONS: dict[str, tuple[str, ...]] = {
    "CP": ("Video Topic", "Video Emotion", "Video Scene", "Video Style"),
    "FP-S": ("OCR", "Object Recognition", "Attribute Recognition", "Event Recognition", "Human Motion", "Counting"),
    "FP-C": ("Spatial Relationship", "Human-object Interaction", "Human Interaction"),
    "HL": ("Hallucination",),
    "LR": ("Structuralized Image-Text Understanding", "Mathematical Calculation"),
    "AR": ("Physical Property", "Function Reasoning", "Identity Reasoning"),
    "RR": ("Natural Relation", "Physical Relation", "Social Relation"),
    "CSR": ("Common Sense Reasoning",),
    "TR": ("Counterfactual Reasoning", "Causal Reasoning", "Future Prediction"),
}
PERCEPTION = ("CP", "FP-C", "FP-S", "HL")
REASONING = ("LR", "AR", "RR", "CSR", "TR")
L3_TO_COARSE = {dim: coarse for coarse, dims in MMV_DIMENSIONS.items() for dim in dims}


def _dimensions(raw: str) -> list[str]:
    dims = ast.literal_eval(raw)
    if not isinstance(dims, list) or not dims or not all(isinstance(d, str) for d in dims):
        raise ValueError(f"dimensions {raw!r} is not a non-empty list of names")
    unknown = [d for d in dims if d not in L3_TO_COARSE]
    if unknown:
        raise ValueError(f"unknown dimensions {unknown}")
    return dims


@LOADERS.register("mmbench_video")
class MMBenchVideo(Loader):
    """TSV rows; a row's pointer is `/<row index>` counting data rows from 0 (the header is not a row)."""

    def items(self, files: AnnotationFiles) -> Iterator[Item]:
        path, rel = files.path(self.spec.annotations[0])
        with path.open(encoding="utf-8", newline="") as fh:
            for row_index, row in enumerate(csv.DictReader(fh, delimiter="\t")):
                yield Item(rel, pointer(row_index), row)

    def records(self, item: Item) -> Iterator[Record]:
        row = item.value
        try:
            dims = _dimensions(row["dimensions"])
        except SyntaxError as exc:
            raise RecordError(f"malformed row: {exc!r}") from None
        video_file = PurePosixPath(row.get("video_path") or f"./video/{row['video']}.mp4").name
        question, answer, index = row["question"], row["answer"], int(row["index"])
        if question is None or answer is None:
            raise RecordError("row has missing columns")
        coarse = L3_TO_COARSE[dims[0]]
        meta = {"question": question, "dimensions": dims, "video": row["video"]}
        subset = "Perception" if coarse in PERCEPTION else "Reasoning"
        yield Record(str(index), subset, Media(video_file), answer, item.pointer, question, use_prefix=False, meta=meta)
