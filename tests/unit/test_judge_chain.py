"""Dependent judge requests (`JudgeRequest.then`, `judges.chain.run_with_followups`) over real HTTP to the loopback
server: no barrier between rounds, the same pairs as round-by-round `run`, one call per distinct request."""

from __future__ import annotations

import pytest

from tarsier_eval.judges.base import JudgeOutcome, JudgeRequest
from tarsier_eval.judges.chain import run_with_followups
from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge
from tests.support.judge_server import Fault, judge_server_fixture  # noqa: F401  (fixture `judge_server`)
from tests.support.stub_judge import StubJudge


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("TE_CHAIN_KEY", "sk-chain-0123456789")


def make_judge(server, **kw) -> OpenAIJudge:
    cfg = dict(model="judge-x", base_url=server.url, api_key_env="TE_CHAIN_KEY", backoff_base=0.01, timeout=5.0)
    return OpenAIJudge(JudgeConfig(**{**cfg, **kw}))


def req(key: str, prompt: str, then=None) -> JudgeRequest:
    return JudgeRequest(key, [{"role": "user", "content": prompt}], parse=str.upper, then=then)


def tree(key: str, depth: int) -> JudgeRequest:
    """A request whose successful outcome asks two follow-ups, down to `depth` levels."""

    def then(outcome: JudgeOutcome) -> list[JudgeRequest]:
        return [] if depth == 1 else [tree(f"{key}.{i}", depth - 1) for i in range(2)]

    return req(key, f"q {key}" if key != "r2" else "fail", then)


def test_a_follow_up_starts_while_other_first_stage_requests_are_in_flight(judge_server):
    server = judge_server(fault_rule=lambda m, n: Fault.delay(0.6) if m[-1]["content"] == "slow" else None)
    roots = [req("s", "slow"), req("f", "fast", lambda o: [req("g", "next")])]
    out = run_with_followups(make_judge(server, concurrency=4), roots, "t")
    assert [(r.key, o.key, o.value) for r, o in out] == [("s", "s", "SLOW"), ("f", "f", "FAST"), ("f", "g", "NEXT")]
    assert server.events.index(("start", "next")) < server.events.index(("end", "slow"))


def test_native_follow_ups_match_stage_by_stage_waves(judge_server):
    server = judge_server(fault_rule=lambda m, n: Fault.server_error(400) if m[-1]["content"] == "fail" else None)
    roots = [tree(f"r{i}", 3) for i in range(4)]
    judge = make_judge(server, concurrency=3)
    native = run_with_followups(judge, roots, "t")
    stub = StubJudge(lambda r: None if r.messages[-1]["content"] == "fail" else r.messages[-1]["content"])
    rounds = run_with_followups(stub, roots, "t")
    assert [(id(r), o.key, o.value, o.ok) for r, o in native] == [(id(r), o.key, o.value, o.ok) for r, o in rounds]
    assert len(native) == 3 * 7 + 1 and [o.key for _, o in native[:6]] == ["r0", "r1", "r2", "r3", "r0.0", "r0.1"]
    assert server.count == len(native) and [o.key for o in judge.run(roots)] == ["r0", "r1", "r2", "r3"]


def test_a_follow_up_identical_to_a_request_in_flight_is_sent_once(judge_server):
    server = judge_server(fault_rule=lambda m, n: Fault.delay(0.4) if m[-1]["content"] == "shared" else None)
    judge = make_judge(server)
    out = run_with_followups(judge, [req("a", "shared"), req("b", "quick", lambda o: [req("b2", "shared")])], "t")
    assert [(o.key, o.value) for _, o in out] == [("a", "SHARED"), ("b", "QUICK"), ("b2", "SHARED")]
    assert server.count == 2 and judge.usage()["deduplicated"] == 1 and judge.usage()["requests"] == 3


def test_every_distinct_request_is_sent_exactly_once(judge_server):
    """No retries, duplicates or lost replies at high concurrency (what benchmarks/judge.py checks at scale)."""
    server = judge_server(latency=0.01)
    judge = make_judge(server, concurrency=64)
    roots = [req(f"k{i}", f"q{i}", lambda o, i=i: [req(f"k{i}+", f"q{i} again")]) for i in range(200)]
    out = run_with_followups(judge, roots, "t")
    u = judge.usage()
    assert len(out) == 400 and all(o.ok for _, o in out)
    assert u["requests"] == u["calls"] == server.count == 400 and u["retries"] == 0 and u["errors"] == {}
    assert server.connections <= 64
