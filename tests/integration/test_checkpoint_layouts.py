"""Every weight layout a Tarsier2 checkpoint comes in loads through the tarsier2 backend into exactly the original
parameters and greedy output; a checkpoint that would leave any weight random is refused (strict loading)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from tarsier_eval.errors import UsageError
from tarsier_eval.models.checkpoint import weight_shapes
from tarsier_eval.models.strict import from_loading_info, load_flags, predict
from tarsier_eval.models.tarsier2 import load_checked, tarsier2
from tests.support.cli import run_cli
from tests.support.layouts import greedy_answer, write_layout


@pytest.fixture(scope="module")
def original(tiny_checkpoint: Path):
    backend = tarsier2(pretrained=str(tiny_checkpoint))
    return backend.model.state_dict(), greedy_answer(backend)


def _same_model(backend, original) -> None:
    params, answer = original
    loaded = backend.model.state_dict()
    assert loaded.keys() == params.keys()
    assert all(torch.equal(loaded[k], params[k]) for k in params)
    assert greedy_answer(backend) == answer


def _untie(config: dict) -> dict:
    config["tie_word_embeddings"] = config["text_config"]["tie_word_embeddings"] = False
    return config


def _add_lm_head(weights: dict) -> None:
    weights["language_model.lm_head.weight"] = weights["language_model.model.embed_tokens.weight"].clone()


def _add_projector(weights: dict) -> None:  # Tarsier2's MLP projector: built, saved, never called by Qwen2-VL
    for name, shape in (("linear_1.weight", (32, 32)), ("linear_1.bias", (32,)), ("linear_2.weight", (32, 32))):
        weights[f"multi_modal_projector.{name}"] = torch.randn(shape)


VARIANTS = {
    "qwen2vl": ("qwen2vl", {}),
    "qwen2vl-legacy": ("qwen2vl-legacy", {}),
    "vllm": ("vllm", {}),
    "tarsier2": ("tarsier2", {}),
    "tarsier2-sharded": ("tarsier2", {"shards": 3}),
    "tarsier2-pytorch-bin": ("tarsier2", {"torch_format": True}),
    "tarsier2-untied-lm-head": ("tarsier2", {"edit": _add_lm_head, "config_edit": _untie}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_layout_loads_the_same_model(tmp_path: Path, tiny_checkpoint: Path, original, variant: str):
    layout, options = VARIANTS[variant]
    backend = tarsier2(pretrained=str(write_layout(tiny_checkpoint, tmp_path / variant, layout, **options)))
    described = backend.describe()
    assert described["weight_layout"] == layout and described["strict"] is True
    assert "missing_keys" not in described and "warnings" not in described and load_flags(described) == []
    _same_model(backend, original)


def test_tarsier2_projector_is_left_out_and_recorded(tmp_path: Path, tiny_checkpoint: Path, original):
    path = write_layout(tiny_checkpoint, tmp_path / "proj", "tarsier2", edit=_add_projector)
    backend = tarsier2(pretrained=str(path))
    assert backend.describe()["ignored_keys"] == [
        "multi_modal_projector.linear_1.bias", "multi_modal_projector.linear_1.weight",
        "multi_modal_projector.linear_2.weight",
    ]  # fmt: skip
    _same_model(backend, original)


def test_projector_of_a_non_qwen2vl_text_model_is_refused(tmp_path: Path, tiny_checkpoint: Path):
    def qwen2_text(config: dict) -> dict:  # Tarsier's Qwen2 (not Qwen2-VL) branch calls the projector
        config["text_config"]["model_type"] = "qwen2"
        return config

    path = write_layout(tiny_checkpoint, tmp_path / "p", "tarsier2", edit=_add_projector, config_edit=qwen2_text)
    with pytest.raises(UsageError, match=r"3 checkpoint weights the model has no place for \(multi_modal_projector"):
        tarsier2(pretrained=str(path))


def _drop(key: str):
    return lambda weights: weights.pop(key)


def _rename(key: str, new: str):
    return lambda weights: weights.__setitem__(new, weights.pop(key))


def _shrink(key: str):
    return lambda weights: weights.__setitem__(key, weights[key][:16].clone())


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (_drop("vision_tower.blocks.0.attn.qkv.weight"),
         r"\(weight layout: tarsier2\) does not load completely: 1 model weight missing from the checkpoint "
         r"\(model\.visual\.blocks\.0\.attn\.qkv\.weight\)\."),
        (_rename("language_model.model.norm.weight", "language_model.model.final_norm.weight"),
         r"1 model weight missing from the checkpoint \(model\.language_model\.norm\.weight\); 1 checkpoint weight "
         r"the model has no place for \(language_model\.model\.final_norm\.weight\)"),
        (_shrink("language_model.model.norm.weight"),
         r"1 weight of the wrong shape \(language_model\.model\.norm\.weight: checkpoint \[16\], model \[64\]\)"),
        (_rename("vision_tower.merger.ln_q.bias", "merger.ln_q.bias"),
         r"weight layout: unrecognised \(names under merger\.\)"),
    ],
    ids=["removed", "renamed", "shape", "unknown-prefix"],
)  # fmt: skip
def test_incomplete_checkpoint_is_a_usage_error(tmp_path: Path, tiny_checkpoint: Path, edit, expected: str):
    path = write_layout(tiny_checkpoint, tmp_path / "bad", "tarsier2", edit=edit)
    with pytest.raises(UsageError, match=expected) as error:
        tarsier2(pretrained=str(path))
    assert "add strict=false to --model-args" in str(error.value)


def test_issue_layout_without_the_map_is_what_strict_loading_catches(tmp_path: Path, tiny_checkpoint: Path):
    """All 45 names of the tarsier2 layout under an unknown top-level name: every model weight would be random."""
    path = write_layout(tiny_checkpoint, tmp_path / "llm", "tarsier2",
                        edit=lambda w: w.update({"llm." + k: w.pop(k) for k in list(w)}))  # fmt: skip
    with pytest.raises(UsageError, match=r"46 model weights missing from the checkpoint .*45 checkpoint weights"):
        tarsier2(pretrained=str(path))


def test_strict_false_loads_records_and_agrees_with_transformers(tmp_path: Path, tiny_checkpoint: Path):
    path = write_layout(tiny_checkpoint, tmp_path / "bad", "tarsier2",
                        edit=_drop("language_model.model.layers.1.mlp.up_proj.weight"))  # fmt: skip
    backend = tarsier2(pretrained=str(path), strict="false")
    described = backend.describe()
    assert described["strict"] is False
    assert described["missing_keys"] == ["model.language_model.layers.1.mlp.up_proj.weight"]
    assert load_flags(described) == described["warnings"] == ["not strictly loaded (strict=false; 1 missing)"]
    backend.load()  # strict=false: the random weight is loaded and the run goes on
    info = {"weight_layout": "tarsier2"}
    _, after = load_checked(str(path), backend.model.config, None, info, strict=False)
    assert after.missing == described["missing_keys"] and not after.unexpected and not after.mismatched
    with pytest.raises(UsageError, match="1 model weight missing"):  # a hub id is only checked after loading
        load_checked(str(path), backend.model.config, None, info, strict=True)


def test_bad_strict_value_is_a_usage_error(tiny_checkpoint: Path):
    with pytest.raises(UsageError, match=r"strict=true \(the default\) or strict=false"):
        tarsier2(pretrained=str(tiny_checkpoint), strict="maybe")


def test_prediction_matches_transformers_report(tmp_path: Path, tiny_checkpoint: Path):
    """The pre-load check (file headers against the meta-device model) and transformers' own loading report find
    the same problems, named by checkpoint and by model."""
    path = write_layout(tiny_checkpoint, tmp_path / "bad", "vllm", edit=_shrink("visual.merger.ln_q.weight"))
    backend = tarsier2(pretrained=str(path), strict="false")
    predicted = predict(backend.model.config, weight_shapes(str(path)), None)
    assert predicted.mismatched == ["visual.merger.ln_q.weight: checkpoint [16], model [32]"]
    assert not predicted.missing and not predicted.unexpected
    _, after = load_checked(str(path), backend.model.config, None, {"weight_layout": "vllm"}, strict=False)
    assert after.mismatched == ["model.visual.merger.ln_q.weight: checkpoint [16], model [32]"]
    assert not after.missing and not after.unexpected
    assert backend.describe()["mismatched_keys"] == predicted.mismatched


def test_rotary_buffers_in_old_checkpoints_are_ignored(tmp_path: Path, tiny_checkpoint: Path, original):
    def add_buffers(weights: dict) -> None:  # persistent in some old saves; computed from the config anyway
        weights["language_model.model.rotary_emb.inv_freq"] = torch.ones(8)
        weights["vision_tower.rotary_pos_emb.inv_freq"] = torch.ones(4)

    backend = tarsier2(pretrained=str(write_layout(tiny_checkpoint, tmp_path / "b", "tarsier2", edit=add_buffers)))
    assert backend.describe()["ignored_keys"] == [
        "language_model.model.rotary_emb.inv_freq", "vision_tower.rotary_pos_emb.inv_freq",
    ]  # fmt: skip
    _same_model(backend, original)
    loaded = from_loading_info({"missing_keys": set(), "unexpected_keys": {"model.visual.rotary_pos_emb.inv_freq"},
                                "mismatched_keys": set()}, "tarsier2", None)  # fmt: skip
    assert loaded.complete and loaded.ignored == ["model.visual.rotary_pos_emb.inv_freq"]


def _cli_run(out: Path, run_id: str, pretrained: Path, *extra_args: str):
    return run_cli("run", "--tasks", "demo", "--limit", "2", "--model", "tarsier2", "--model-args",
                   f"pretrained={pretrained}{''.join(',' + a for a in extra_args)}", "--output", str(out),
                   "--run-id", run_id, "--workers", "0", "--gen-kwargs", "max_new_tokens=6")  # fmt: skip


def _responses(run_dir: Path) -> dict[str, str]:
    rows = [json.loads(line) for line in (run_dir / "samples.jsonl").read_text().splitlines()]
    return {r["sample_id"]: r["response"] for r in rows}


def test_cli_runs_a_tarsier2_layout_checkpoint_like_the_original(tmp_path: Path, tiny_checkpoint: Path):
    path = write_layout(tiny_checkpoint, tmp_path / "t2", "tarsier2", shards=2)
    for run_id, pretrained in (("original", tiny_checkpoint), ("t2", path)):
        proc = _cli_run(tmp_path / "runs", run_id, pretrained)
        assert proc.returncode == 0, proc.stderr[-3000:]
    model = json.loads((tmp_path / "runs" / "t2" / "manifest.json").read_text())["model"]
    assert model["weight_layout"] == "tarsier2" and model["strict"] is True and load_flags(model) == []
    assert _responses(tmp_path / "runs" / "t2") == _responses(tmp_path / "runs" / "original")


def test_cli_refuses_an_incomplete_checkpoint_before_any_sample(tmp_path: Path, tiny_checkpoint: Path):
    path = write_layout(tiny_checkpoint, tmp_path / "bad", "tarsier2", edit=_drop("vision_tower.merger.ln_q.bias"))
    proc = _cli_run(tmp_path / "runs", "bad", path)
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert (f"error: checkpoint {path} (weight layout: tarsier2) does not load completely: 1 model weight missing "
            "from the checkpoint (model.visual.merger.ln_q.bias)") in proc.stderr  # fmt: skip
    assert "add strict=false to --model-args" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "runs" / "bad" / "samples.jsonl").exists()
    assert not list((tmp_path / "runs").glob("bad/shards/*/*.jsonl"))


def test_cli_strict_false_runs_and_marks_the_manifest(tmp_path: Path, tiny_checkpoint: Path):
    path = write_layout(tiny_checkpoint, tmp_path / "bad", "tarsier2", edit=_drop("vision_tower.merger.ln_q.bias"))
    proc = _cli_run(tmp_path / "runs", "lax", path, "strict=false")
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("loads with strict=false: 1 model weight missing from the checkpoint") == 1
    model = json.loads((tmp_path / "runs" / "lax" / "manifest.json").read_text())["model"]
    assert model["strict"] is False and model["missing_keys"] == ["model.visual.merger.ln_q.bias"]
    assert model["warnings"] == ["not strictly loaded (strict=false; 1 missing)"]
