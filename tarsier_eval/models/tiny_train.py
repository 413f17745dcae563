"""Training the tiny checkpoint on clips of the demo's kind, offline on CPU, seeded.

Training clips are drawn from a distribution that leaves out the demo's 32 clips: square sizes other than the
demo's 20 pixels, random colours and backgrounds, distances (speeds) and path positions. They are written as a
data root of the demo task's layout and read back through the demo task's own loader, frame sampling, resize and
the `tarsier2` backend's preprocessor (chat template, processor) and collate, so training inputs are built
exactly as evaluation inputs are. The target is the answer after the prompt's "Best option:(" prefix, e.g.
"A) left" and the end-of-turn token.

Beside the language-model loss, two linear probes read the direction from the clip's vision features and from the
language model's video states after its first layer; they make the model learn motion quickly and are dropped
before saving (the checkpoint is a plain Qwen2-VL). Only the used rows of the 151k-token embedding are trained
(`UsedRows`), which halves a step's time.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tarsier_eval.data.options import LETTERS
from tarsier_eval.demo import COLORS, Clip, write_clips
from tarsier_eval.video.synthetic import DIRECTIONS

SEED = 0
CLIPS = 256
STEPS = 520  # at most: training stops early once the held-out clips are answered well enough
EARLY_STEP = 100
BATCH = 16
LEARNING_RATE = 5e-3
WARMUP = 20
LANGUAGE_PROBE_WEIGHT = 2.0
SAMPLED_ROWS = 8192
VALIDATION_CLIPS = 64  # held out from the same distribution: picks which weight average is saved
VALIDATE_EVERY = 20
THREADS = 2
AVERAGE_FROM = 260  # weights averaged (EMA) from this step on
TARGET_ACCURACY = 0.95  # on the held-out clips: stop there
AVERAGE_DECAY = 0.97
SIZE = 112
TRAIN_SQUARES = (12, 14, 16, 18, 22, 24, 26, 28)  # the demo's square is 20 pixels: no training clip is a demo clip
PALETTE = {**COLORS, "orange": (245, 140, 20), "purple": (120, 40, 170), "pink": (250, 150, 190),
           "brown": (120, 70, 30), "grey": (128, 128, 128), "navy": (20, 30, 110), "olive": (120, 130, 30)}  # fmt: skip


def _color_name(rgb: tuple[int, int, int]) -> str:
    """The palette word nearest to `rgb` (what a person would call the square)."""
    return min(PALETTE, key=lambda name: sum((a - b) ** 2 for a, b in zip(PALETTE[name], rgb, strict=True)))


def _contrasting(rng: np.random.Generator, background: tuple[int, int, int]) -> tuple[int, int, int]:
    """A random colour that stands out from `background` (at least 150 in summed channel difference)."""
    while True:
        rgb = tuple(int(c) for c in rng.integers(0, 256, 3))
        if sum(abs(a - b) for a, b in zip(rgb, background, strict=True)) >= 150:
            return rgb


def training_clip(rng: np.random.Generator, index: int) -> Clip:
    """One clip drawn from the training distribution."""
    direction = list(DIRECTIONS)[int(rng.integers(4))]
    square = int(rng.choice(TRAIN_SQUARES))
    background = (int(rng.integers(40, 170)),) * 3
    color = _contrasting(rng, background)
    travel = SIZE - square
    distance = int(rng.integers(travel // 2, travel + 1))
    along = int(rng.integers(distance // 2, travel - distance // 2 + 1))
    across = int(rng.integers(0, travel + 1))
    center = (along, across) if direction in ("left", "right") else (across, along)
    return Clip(f"train{index:04d}-{direction}", _color_name(color), direction, color, square, background, distance,
                center)  # fmt: skip


def training_clips(count: int | None = None, seed: int = SEED) -> list[Clip]:
    rng = np.random.default_rng(seed)
    return [training_clip(rng, i) for i in range(CLIPS if count is None else count)]


@dataclass
class Example:
    """One training input: the prepared prompt (as the backend makes it) with the answer tokens appended."""

    item: Any  # PreparedInput
    answer_tokens: int
    direction: int


def _with_answer(item: Any, answer_ids: list[int]) -> Any:
    import torch

    payload = dict(item.payload)
    extra = torch.tensor(answer_ids, dtype=payload["input_ids"].dtype)
    payload["input_ids"] = torch.cat([payload["input_ids"], extra])
    payload["mm_token_type_ids"] = torch.cat([payload["mm_token_type_ids"], torch.zeros_like(extra)])
    return type(item)(item.sample_id, payload, item.num_frames)


def prepare_examples(backend: Any, data_root: Path) -> list[Example]:
    """The demo task's samples of `data_root`, prepared by the backend's own preprocessor, the answer appended:
    its letter (what follows the prompt's "Best option:(") and the end-of-turn token."""
    from tarsier_eval.data.files import task_data_root
    from tarsier_eval.data.load import load_samples
    from tarsier_eval.registry import get_task
    from tarsier_eval.runner.pipeline import SampleDataset

    spec = get_task("demo")
    samples = load_samples(spec, data_root).samples
    preprocess = backend.preprocessor(spec.generation)
    dataset = SampleDataset(samples, task_data_root(spec, data_root), preprocess.video_settings(spec.video), preprocess)
    tokenizer = backend.processor.tokenizer
    examples = []
    for sample, item in zip(samples, dataset, strict=True):
        if item.error:
            raise RuntimeError(f"training clip {sample.sample_id}: {item.error}")
        ids = tokenizer(str(sample.answer), add_special_tokens=False)["input_ids"] + [tokenizer.eos_token_id]
        direction = list(DIRECTIONS).index(sample.options[LETTERS.index(str(sample.answer))])
        examples.append(Example(_with_answer(item, ids), len(ids), direction))
    return examples


def batch_inputs(backend: Any, examples: list[Example]) -> tuple[dict[str, Any], Any, Any]:
    """Collated model inputs (left-padded, as at inference), answer-token labels, direction labels."""
    import torch

    inputs = backend.collate([e.item for e in examples])
    labels = torch.full_like(inputs["input_ids"], -100)
    for row, example in enumerate(examples):
        labels[row, -example.answer_tokens :] = inputs["input_ids"][row, -example.answer_tokens :]
    return inputs, labels, torch.tensor([e.direction for e in examples])


class Probes:
    """The auxiliary direction probes (training only): one reads the displacement of the merged vision features
    between the first and the last frame pair (feature-weighted centroids), one the mean of the language model's
    states over the video tokens after its first layer."""

    def __init__(self, hidden: int):
        import torch

        self.vision = torch.nn.Linear(2 * hidden, len(DIRECTIONS))
        self.language = torch.nn.Linear(hidden, len(DIRECTIONS))

    def parameters(self) -> list[Any]:
        return [*self.vision.parameters(), *self.language.parameters()]

    def vision_loss(self, video: Any, grids: Any, directions: Any) -> Any:
        import torch
        import torch.nn.functional as F

        rows = []
        for features, (t, h, w) in zip(video.pooler_output, grids.tolist(), strict=True):
            grid = features.view(t, h // 2, w // 2, -1)
            xs = torch.linspace(-1, 1, w // 2).view(1, 1, -1, 1)
            ys = torch.linspace(-1, 1, h // 2).view(1, -1, 1, 1)
            x, y = (grid * xs).mean((1, 2)), (grid * ys).mean((1, 2))
            rows.append(torch.cat([x[-1] - x[0], y[-1] - y[0]]))
        return F.cross_entropy(self.vision(torch.stack(rows)), directions)

    def language_loss(self, states: Any, kinds: Any, directions: Any) -> Any:
        import torch.nn.functional as F

        mask = (kinds == 2).unsqueeze(-1).to(states.dtype)  # video tokens
        return F.cross_entropy(self.language((states * mask).sum(1) / mask.sum(1)), directions)


class UsedRows:
    """Training only: the tied token embedding (also the output head), 151,657 rows, as a small trainable table of
    the rows the training inputs use plus one trainable shift added to all other rows, with a sampled softmax over
    the other rows. Training the full table made every step carry its dense gradient, Adam update and weight
    average (9.7M numbers) and a 151k-wide softmax: about 60 % of a step. Under Adam, which normalises gradient
    sizes, the unused rows all receive nearly the same update (their gradients are the batch's states scaled by
    small probabilities), which the shared shift stands in for. The checkpoint is written back as a full table."""

    def __init__(self, model: Any, examples: list[Example], pad_token_id: int):
        import torch
        import torch.nn.functional as F

        self.embedding = model.get_input_embeddings()
        self.initial = self.embedding.weight.detach().clone()
        used = [e.item.payload["input_ids"] for e in examples] + [torch.tensor([pad_token_id])]
        self.ids = torch.unique(torch.cat(used))
        self.table = torch.nn.Parameter(self.initial[self.ids].clone())
        self.shift = torch.nn.Parameter(torch.zeros(self.initial.shape[1]))
        self.index = torch.full((self.initial.shape[0],), -1)  # an unused id fails loudly in F.embedding
        self.index[self.ids] = torch.arange(len(self.ids))
        unused = (self.index < 0).nonzero().squeeze(1)
        picked = torch.randperm(len(unused), generator=torch.Generator().manual_seed(SEED))[:SAMPLED_ROWS]
        self.others = unused[picked.sort().values]
        self.stands_for = math.log(len(unused) / len(self.others))
        self.embedding.weight.requires_grad_(False)
        self.embedding.forward = lambda input_ids: F.embedding(self.index[input_ids], self.table)

    def weights(self) -> dict[str, Any]:
        return {"used rows": self.table, "shift of the other rows": self.shift}

    def loss(self, states: Any, targets: Any) -> Any:
        """Cross-entropy of `targets` (used token ids) over the used rows and a seeded sample of the other rows,
        each sampled row's logit raised by the log of how many rows it stands for (a sampled softmax: its
        normaliser estimates the whole vocabulary's)."""
        import torch
        import torch.nn.functional as F

        sampled = self.initial[self.others]
        others = states @ sampled.T + (states @ self.shift).unsqueeze(-1) + self.stands_for
        return F.cross_entropy(torch.cat([states @ self.table.T, others], 1), self.index[targets])

    def copy_to_embedding(self) -> None:
        """Write the current rows into the embedding (so that a checkpoint saved now has them)."""
        import torch

        with torch.no_grad():
            torch.add(self.initial, self.shift, out=self.embedding.weight)
            self.embedding.weight[self.ids] = self.table

    def restore(self) -> None:
        """The embedding's own forward and a trainable weight again."""
        del self.embedding.forward
        self.embedding.weight.requires_grad_(True)


def training_loss(model: Any, rows: UsedRows, probes: Probes, inputs: dict[str, Any], labels: Any,
                  directions: Any) -> Any:  # fmt: skip
    """Next-token loss on the answer tokens plus the probes' direction losses."""
    video = model.model.get_video_features(inputs["pixel_values_videos"], inputs["video_grid_thw"], return_dict=True)
    rest = {k: v for k, v in inputs.items() if k != "pixel_values_videos"}
    out = model.model(**rest, mm_encoder_outputs={"video": video}, output_hidden_states=True)
    at, cols = (labels[:, 1:] != -100).nonzero(as_tuple=True)
    lm_loss = rows.loss(out.last_hidden_state[at, cols], labels[at, cols + 1])
    return (lm_loss + probes.vision_loss(video, inputs["video_grid_thw"], directions)
            + LANGUAGE_PROBE_WEIGHT * probes.language_loss(out.hidden_states[1], inputs["mm_token_type_ids"], directions))  # fmt: skip


def linear_patch_embedding(model: Any) -> None:
    """Training only: the vision patch embedding (a Conv3d whose kernel equals its stride, without bias) computed
    as the identical matrix product, whose backward pass is several times faster on CPU than the convolution's."""
    import torch.nn.functional as F

    embed = model.model.visual.patch_embed
    weight = embed.proj.weight
    embed.forward = lambda pixels: F.linear(pixels.view(-1, weight[0].numel()).to(weight.dtype),
                                            weight.view(weight.shape[0], -1))  # fmt: skip


def _update_average(average: dict[str, Any], weights: dict[str, Any]) -> None:
    """Exponential moving average of the weights (what is saved): it smooths the step-to-step swings of the demo
    accuracy late in training (81-94 % between nearby steps without it, in an earlier version of this training)."""
    import torch

    with torch.no_grad():
        for name, param in weights.items():
            average.setdefault(name, param.detach().clone()).lerp_(param.detach(), 1 - AVERAGE_DECAY)


def _learning_rate(step: int) -> float:
    """Linear warm-up, then cosine decay to a tenth."""
    if step < WARMUP:
        return LEARNING_RATE * (step + 1) / WARMUP
    progress = (step - WARMUP) / max(1, STEPS - WARMUP)
    return LEARNING_RATE * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def answer_accuracy(model: Any, backend: Any, rows: UsedRows, examples: list[Example]) -> float:
    """Share of `examples` whose answer letter is the model's greedy first answer token (whole vocabulary)."""
    import torch

    correct = 0
    with torch.no_grad():
        for start in range(0, len(examples), BATCH):
            batch = examples[start : start + BATCH]
            inputs, _, _ = batch_inputs(backend, batch)
            states = model.model(**inputs).last_hidden_state
            for row, example in enumerate(batch):
                at = inputs["input_ids"].shape[1] - example.answer_tokens - 1  # predicts the letter
                predicted = (states[row, at] @ rows.embedding.weight.T).argmax()
                correct += int(predicted == inputs["input_ids"][row, at + 1])
    return correct / len(examples)


def _load(weights: dict[str, Any], values: dict[str, Any], rows: UsedRows) -> None:
    import torch

    with torch.no_grad():
        for name, param in weights.items():
            param.copy_(values[name])
    rows.copy_to_embedding()


@dataclass
class Outcome:
    """What training did: the held-out accuracy of the weight average at each step checked, the step whose average
    was kept (the best; the later one on a tie) and how many steps ran."""

    checked: dict[int, float]
    kept_step: int
    steps_run: int


def train(model: Any, backend: Any, examples: list[Example], validation: list[Example],
          on_step: Callable[[int, float], None], on_early: Callable[[], None]) -> Outcome:  # fmt: skip
    """At most `STEPS` Adam steps on seeded batches of `examples`; `on_step(step, loss)` after each, `on_early()` at
    `EARLY_STEP` with that step's weights in the model. From `AVERAGE_FROM` on, the weight average is checked on
    `validation` every `VALIDATE_EVERY` steps; the best one is left in the model, and training stops once it
    answers `TARGET_ACCURACY` of them."""
    import torch

    torch.manual_seed(SEED)
    probes = Probes(model.config.text_config.hidden_size)
    rows = UsedRows(model, examples + validation, backend.processor.tokenizer.pad_token_id)
    weights = {name: p for name, p in model.named_parameters() if p.requires_grad} | rows.weights()
    params = [*weights.values(), *probes.parameters()]
    average: dict[str, Any] = {}
    best: tuple[float, int, dict[str, Any]] = (-1.0, 0, {})
    checked: dict[int, float] = {}
    linear_patch_embedding(model)
    optimizer = torch.optim.Adam(params, lr=LEARNING_RATE)
    order = np.random.default_rng(SEED)
    model.train()
    for step in range(STEPS):
        picked = order.choice(len(examples), BATCH, replace=False)
        inputs, labels, directions = batch_inputs(backend, [examples[i] for i in picked])
        for group in optimizer.param_groups:
            group["lr"] = _learning_rate(step)
        loss = training_loss(model, rows, probes, inputs, labels, directions)
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        if step + 1 == EARLY_STEP:
            rows.copy_to_embedding()
            on_early()
        if step >= AVERAGE_FROM:
            _update_average(average, weights)
            if (step + 1) % VALIDATE_EVERY == 0 or step + 1 == STEPS:
                current = {name: p.detach().clone() for name, p in weights.items()}
                _load(weights, average, rows)
                checked[step + 1] = answer_accuracy(model, backend, rows, validation)
                if checked[step + 1] >= best[0]:
                    best = (checked[step + 1], step + 1, {name: v.clone() for name, v in average.items()})
                _load(weights, current, rows)
        on_step(step + 1, loss.item())
        if best[0] >= TARGET_ACCURACY:
            break
    _load(weights, best[2], rows)
    rows.restore()
    del model.model.visual.patch_embed.forward  # back to the module's own forward
    model.eval()
    return Outcome(checked, best[1], step + 1)


def train_checkpoints(model: Any, processor: Any, out: Path, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Train `model` (random weights) and save it as `out/trained`, and at step EARLY_STEP as `out/early`;
    returns what happened (seconds, losses) for `training.json`."""
    import torch

    from tarsier_eval.models.tarsier2 import Tarsier2Backend

    threads = torch.get_num_threads()
    torch.set_num_threads(THREADS)
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        backend = Tarsier2Backend(lambda: model, processor, dtype=torch.float32, device="cpu", video_as="video")
        with tempfile.TemporaryDirectory(prefix="tiny-train-data.") as data:
            examples = prepare_examples(backend, write_clips(Path(data), training_clips(CLIPS + VALIDATION_CLIPS)))
        examples, validation = examples[:CLIPS], examples[CLIPS:]
        prepared_s = time.perf_counter() - started
        losses: list[float] = []

        def on_step(step: int, loss: float) -> None:
            losses.append(loss)
            if step % 50 == 0:
                log(f"  step {step}/{STEPS}: loss {sum(losses[-50:]) / len(losses[-50:]):.3f}")

        def on_early() -> None:
            model.save_pretrained(out / "early")
            processor.save_pretrained(out / "early")

        outcome = train(model, backend, examples, validation, on_step, on_early)
        kept = outcome.checked[outcome.kept_step]
        log(f"  saved the weight average of step {outcome.kept_step}: {kept:.0%} of {len(validation)} held-out clips")
        model.save_pretrained(out / "trained")
        processor.save_pretrained(out / "trained")
    finally:
        torch.set_num_threads(threads)
    return {"seed": SEED, "clips": CLIPS, "steps": STEPS, "early_step": EARLY_STEP, "batch": BATCH,
            "sampled_rows": SAMPLED_ROWS, "threads": THREADS, "prepare_seconds": round(prepared_s, 1),
            "wall_seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(time.process_time() - cpu_started, 1),
            "steps_run": outcome.steps_run, "final_loss": round(sum(losses[-20:]) / 20, 4),
            "validation_accuracy": outcome.checked, "saved_step": outcome.kept_step}  # fmt: skip
