"""The `openai` model backend against a loopback OpenAI-compatible server: frames as JPEG, retries, no key leaks."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from tarsier_eval.models.strict import load_flags
from tests.support.cli import run_cli
from tests.support.judge_server import Fault, JudgeServer

SECRET = "sk-test-0123456789abcdefghijklmnop"


def answer_rule(messages):
    images = [p for p in messages[-1]["content"] if p["type"] == "image_url"]
    return f"({'ABCD'[len(images) % 4]}) {len(images)} frames seen"


def test_demo_through_an_openai_compatible_endpoint(tmp_path: Path):
    with JudgeServer(answer_rule) as server:
        server.inject(Fault.rate_limit(retry_after=0.2), times=1)
        server.inject(Fault.server_error(500), times=1)
        proc = run_cli("run", "--tasks", "demo", "--limit", "4", "--model", "openai", "--model-args",
                       f"model=gpt-4o-test,base_url={server.url},api_key_env=TE_TEST_KEY,max_attempts=4",
                       "--output", str(tmp_path), "--run-id", "api", "--workers", "0",
                       env={"TE_TEST_KEY": SECRET})  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-3000:]
        bodies = server.requests
        assert server.count == 6  # 4 samples + one 429 + one 500 retried
        assert set(server.auth_headers) == {f"Bearer {SECRET}"}
    content = bodies[-1]["messages"][-1]["content"]
    images = [p["image_url"]["url"] for p in content if p["type"] == "image_url"]
    assert len(images) == 8 and all(u.startswith("data:image/jpeg;base64,") for u in images)
    assert base64.b64decode(images[0].split(",", 1)[1])[:2] == b"\xff\xd8"  # a real JPEG
    assert content[-1]["text"].endswith("Only give the best option.Best option:(")
    assert bodies[-1]["model"] == "gpt-4o-test" and bodies[-1]["temperature"] == 0.0
    run_dir = tmp_path / "api"
    rows = [json.loads(r) for r in (run_dir / "samples.jsonl").read_text().splitlines()]
    assert [r["response"] for r in rows] == ["(A) 8 frames seen"] * 4
    for name in ("manifest.json", "samples.jsonl", "scores.json"):
        assert SECRET not in (run_dir / name).read_text()
    assert SECRET not in proc.stdout + proc.stderr
    model = json.loads((run_dir / "manifest.json").read_text())["model"]
    assert model["served_model"] == ["gpt-4o-test"] and model["served_model_mismatch"] == []
    assert load_flags(model) == [] and "warnings" not in model and "endpoint replied as" not in proc.stderr


def test_endpoint_serving_another_model_is_recorded_and_warned(tmp_path: Path):
    with JudgeServer(answer_rule, served_model="Qwen2-VL-7B-Instruct") as server:
        proc = run_cli("run", "--tasks", "demo", "--limit", "3", "--model", "openai", "--model-args",
                       f"model=gpt-4o,base_url={server.url},api_key_env=TE_TEST_KEY",
                       "--output", str(tmp_path), "--run-id", "other", "--workers", "0", "--batch-size", "1",
                       env={"TE_TEST_KEY": SECRET})  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stderr.count("asked for model 'gpt-4o' but the endpoint replied as 'Qwen2-VL-7B-Instruct'") == 1
    model = json.loads((tmp_path / "other" / "manifest.json").read_text())["model"]
    assert model["model"] == "gpt-4o" and model["served_model"] == ["Qwen2-VL-7B-Instruct"]
    assert load_flags(model) == model["warnings"] == ["endpoint served Qwen2-VL-7B-Instruct instead of gpt-4o"]


def test_api_failures_are_recorded_per_sample(tmp_path: Path):
    with JudgeServer(answer_rule) as server:
        server.inject(Fault.server_error(500), times=50)
        proc = run_cli("run", "--tasks", "demo", "--limit", "2", "--model", "openai", "--model-args",
                       f"model=m,base_url={server.url},api_key_env=TE_TEST_KEY,max_attempts=2",
                       "--output", str(tmp_path), "--run-id", "fail", "--workers", "0",
                       env={"TE_TEST_KEY": SECRET})  # fmt: skip
    assert proc.returncode == 1
    rows = [json.loads(r) for r in (tmp_path / "fail" / "samples.jsonl").read_text().splitlines()]
    assert all(r["status"] == "error" and "API call failed" in r["error"] for r in rows)
