"""Batched generation: `--batch-size auto` halves on out-of-memory and keeps the size; failures stay per sample."""

from __future__ import annotations

from tarsier_eval.models.base import GenerationOutput, PreparedInput
from tarsier_eval.runner.pipeline import BatchGenerator, run_generation


class FlakyBackend:
    """Runs out of memory above `limit` samples per call; fails outright on samples named 'bad'."""

    name = "flaky"

    def __init__(self, limit: int):
        self.limit = limit
        self.calls: list[int] = []

    def generate(self, batch: list[PreparedInput], generation: dict) -> list[GenerationOutput]:
        self.calls.append(len(batch))
        if len(batch) > self.limit:
            raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")
        if any(item.sample_id == "bad" for item in batch):
            raise ValueError("shape mismatch")
        return [GenerationOutput(item.sample_id, f"answer {item.sample_id}") for item in batch]


def _items(ids: list[str]) -> list[PreparedInput]:
    return [PreparedInput(i, {"x": 1}) for i in ids]


def test_auto_batch_halves_until_it_fits_and_keeps_the_size():
    backend = FlakyBackend(limit=2)
    generator = BatchGenerator(backend, {}, batch_size=8, auto=True)
    collected: list[GenerationOutput] = []
    run_generation(iter(_items([str(i) for i in range(16)])), generator, lambda outs, ins: collected.extend(outs))
    assert [o.sample_id for o in collected] == [str(i) for i in range(16)]
    assert all(o.response == f"answer {o.sample_id}" for o in collected)
    assert generator.batch_size == 2
    assert backend.calls[:3] == [8, 4, 2] and set(backend.calls[3:]) == {2}


def test_without_auto_an_oom_is_a_per_sample_error_not_a_crash():
    generator = BatchGenerator(FlakyBackend(limit=0), {}, batch_size=2, auto=False)
    outputs = generator(_items(["a", "b"]))
    assert [o.error is not None and "out of memory" in o.error for o in outputs] == [True, True]


def test_a_failing_sample_is_isolated_from_its_batch():
    generator = BatchGenerator(FlakyBackend(limit=8), {}, batch_size=4, auto=True)
    outputs = generator(_items(["a", "bad", "c"]))
    assert [o.response for o in outputs] == ["answer a", None, "answer c"]
    assert "shape mismatch" in outputs[1].error


def test_preprocessing_errors_skip_the_model():
    backend = FlakyBackend(limit=8)
    items = [PreparedInput("a", {"x": 1}), PreparedInput("b", {}, error="video file not found (file v.mp4)")]
    collected: list[GenerationOutput] = []
    run_generation(iter(items), BatchGenerator(backend, {}, 4, False), lambda outs, ins: collected.extend(outs))
    assert {o.sample_id: o.error for o in collected} == {"b": "video file not found (file v.mp4)", "a": None}
    assert backend.calls == [1]


def test_inputs_done_runs_once_before_the_last_batch():
    events: list[str] = []

    class Recording(FlakyBackend):
        def generate(self, batch, generation):
            events.append(f"generate {len(batch)}")
            return super().generate(batch, generation)

    for total in (6, None):
        events.clear()
        items = iter(_items([str(i) for i in range(6)]))
        run_generation(items, BatchGenerator(Recording(limit=8), {}, 3, False), lambda outs, ins: None,
                       lambda: events.append("inputs done"), total=total)  # fmt: skip
        expected = ["generate 3", "inputs done", "generate 3"] if total else ["generate 3", "generate 3", "inputs done"]
        assert events == expected
