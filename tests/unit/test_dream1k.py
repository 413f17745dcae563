"""DREAM-1K AutoDQ on the real annotations: loader, official reply parsing, and aggregation equal to a
re-statement of the official evaluate_dream_gpt.py when both use the same deterministic judge rule."""

from __future__ import annotations

import ast
import json
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from tarsier_eval.data.load import load_samples
from tarsier_eval.judges import autodq
from tarsier_eval.judges.base import JudgeOutcome, JudgeParseError, JudgeRequest
from tarsier_eval.judges.cache import JudgeCache
from tarsier_eval.judges.client import JudgeConfig, OpenAIJudge
from tarsier_eval.registry import get_task
from tarsier_eval.scoring.score import score_task
from tarsier_eval.scoring.types import Prediction
from tests.conftest import FIXTURES
from tests.support.cli import run_cli
from tests.support.judge_rules import autodq_repairs_rule
from tests.support.judge_server import Fault, autodq_rule, judge_server_fixture  # noqa: F401

ANNOTATIONS = "DREAM-1K/full.DREAM-1k.jsonl"

# The official prompts, as the f-strings of evaluate_dream_gpt.py produce them (benchmark data).
OFFICIAL_EXTRACT = (
    "Bellow is a description of a video clip:\n"
    "Video Description: {caption}\n\n"
    "Extract at most 10 key events from the above video description paragraph. Requirements\n:"
    "- An event must include an action, motion or movement (NOT STATIC INFORMATION). DON'T repeat same events.\n"
    "- Every event is represented by a brief sentence within 10 words, with a subject, a predicate and optionally "
    "an object, avoid unnecessary appearance descriptions.\n"
    "- Every event must be atomic, meaning that it cannot be further split into multiple events.\n"
    "- Scene cuts and camera motions are NOT events.\n"
    "- Substitute pronouns by the nouns they refer to.\n\n"
    'Please generate the response in the form of a Python dictionary string with keys "events". The value of '
    '"events" is a List(str), of which each item is an event. DO NOT PROVIDE ANY OTHER OUTPUT TEXT OR EXPLANATION. '
    "Only provide the Python dictionary string. For example, your response should look like this: "
    '{{"events": [event1, event2, ...]}}'
)
OFFICIAL_ENTAIL = (
    "Given a video description and a list of events. For each event, classify the relationship between the video "
    "description and the event into three classes: entailment, neutral, contradiction.\n"
    '- "entailment" means that the video description entails the event.\n'
    '- "contradiction" means that some detail in the video description contradicts with the event.\n'
    '- "neutral" means that the relationship is neither "entailment" or "contradiction".\n\n'
    "Video Description:\n{prediction}\n\n"
    "Events: {events}\n"
    "Output a JSON formed as:\n"
    "{{\n"
    '  "events": [\n'
    '    {{"event": "copy an event here", "relationship": "put class name here",  "reason": "give your reason here"}},\n'
    "    ...\n"
    "  ]\n"
    "}}\n\n"
    "DO NOT PROVIDE ANY OTHER OUTPUT TEXT OR EXPLANATION. Only output the JSON. Output:"
)


# ---- a re-statement of the official script, calling the rule in-process ------------------------------------
def _official_extract(caption: str, rule) -> list:
    caption = caption.lower().replace('"', "'")
    for _ in range(10):
        reply = rule([{"role": "user", "content": OFFICIAL_EXTRACT.format(caption=caption)}])
        if reply.startswith("```json"):
            reply = reply.replace("```json", "").replace("```", "").strip()
        try:
            events = ast.literal_eval(reply)["events"]
            assert isinstance(events, list) and (len(events) == 0 or isinstance(events[0], str))
            return events
        except Exception:
            continue
    raise ValueError("Exceed max_retry")


def _official_clean(q: str) -> str:
    q = re.sub(r"\s+", " ", re.sub(r"\n+", "\n", q.strip()))
    if q.startswith("```json"):
        q = q.replace("```json", "").replace("```", "").strip()
    q = q if q.startswith("{") else "{" + q
    q = q if q.endswith("}") else q + "}"
    q = q.replace("True", "true").replace("False", "false").replace("} {", "}, {").replace("}{", "}, {")
    q = q.replace(",\n}", "\n}").replace(", \n}", "\n}").replace(", }", "}").replace(",}", "}")
    q = q.replace(",\n]", "\n]").replace(", \n]", "\n]").replace(", ]", "]").replace(",]", "]")
    return q.replace("[Placeholder]", "null").replace("{Events:", "").strip()


def _official_evaluate(events: list, reference: str, prediction: str, rule) -> float:
    shown = events if events else [reference.replace("\n", " ")]
    prompt = OFFICIAL_ENTAIL.format(prediction=prediction, events=shown)
    for _ in range(10):
        try:
            filled = json.loads(_official_clean(rule([{"role": "user", "content": prompt}])))["events"]
            assert len(events) == len(filled) or (len(events) == 0 and len(filled) == 1)
            hits = 0
            for item in filled:
                label = item["relationship"].strip().lower()
                assert label in ["entailment", "neutral", "contradiction"]
                hits += label == "entailment"
            return 1.0 if len(events) == 0 else hits / len(events)
        except Exception:
            continue
    raise ValueError("Exceed max_retry")


def official_autodq(records: list[dict], predictions: dict[int, str], rule) -> dict:
    """{subset: (f1, r, p, n_ok, n_failed)}, "OVERALL" and the buckets, as the official tables print them."""
    ok, failed = {}, {}
    for rec in records:
        if rec["vid"] not in predictions:
            continue  # not in the prediction file
        response = rec["messages"][1]["content"][0]["reference"].lower()
        prediction = predictions[rec["vid"]].lower()
        try:
            gt_events = rec["extra_info"]["events"]
            pred_events = _official_extract(predictions[rec["vid"]], rule)
            r = _official_evaluate(gt_events, response, prediction, rule)
            p = _official_evaluate(pred_events, prediction, response, rule)
            ok.setdefault(rec["dataset"], []).append((r, p, rec["extra_info"]))
        except ValueError:
            failed.setdefault(rec["dataset"], []).append(rec)
    table, rs, ps = {}, [], []
    for subset in sorted(ok):
        r = np.average([x[0] for x in ok[subset]])
        p = np.average([x[1] for x in ok[subset]])
        table[subset] = (2 * r * p / (r + p), r, p, len(ok[subset]), len(failed.get(subset, [])))
        rs.append(r)
        ps.append(p)
    r, p = np.average(rs), np.average(ps)
    table["OVERALL"] = (2 * r * p / (r + p), r, p)
    rules = {
        "subjects": {"<=1": lambda n: n <= 1, "==2": lambda n: n == 2, "==3": lambda n: n == 3, ">=4": lambda n: n >= 4},
        "shots": {"<=1": lambda n: n <= 1, "==2": lambda n: n == 2, "==3": lambda n: n == 3, ">=4": lambda n: n >= 4},
        "events": {"<=3": lambda n: n <= 3, "in [4, 5]": lambda n: 4 <= n <= 5, "in [6, 7]": lambda n: 6 <= n <= 7,
                   ">=8": lambda n: n >= 8},
    }  # fmt: skip
    for bucket, keys in rules.items():
        for key, rule_ in keys.items():
            members = [x for subset in ok.values() for x in subset if rule_(x[2][f"n_{bucket}"])]
            r = np.average([x[0] for x in members]) if members else float("nan")
            p = np.average([x[1] for x in members]) if members else float("nan")
            table[(bucket, key)] = (2 * r * p / (r + p), r, p, len(members))
    return table


def crafted_prediction(rec: dict) -> str | None:
    """Predictions of many kinds, chosen by vid (None = no prediction)."""
    gt = rec["messages"][1]["content"][0]["reference"]
    events = rec["extra_info"]["events"]
    kind = rec["vid"] % 10
    return {
        0: gt,
        1: " ".join(events[: max(1, len(events) // 2)]),
        2: "",
        3: 'The weather is sunny and "nothing" happens.',
        4: None,
        5: gt + " <fence>",
        6: "<badextract> " + gt,
        7: "<badentail> " + gt,
        8: gt.upper() + "\n\n" + " ".join(reversed(events)),
        9: " ".join(events[::2]) + " A dragon flies over the castle. The knight rides away.",
    }[kind]


class RuleJudge:
    """The Judge protocol in-process: asks `rule` as the HTTP client would (re-asking malformed replies)."""

    model = "rule-judge"

    def __init__(self, rule):
        self.rule = rule
        self.calls = 0

    def run(self, requests: list[JudgeRequest], desc: str = "judge") -> list[JudgeOutcome]:
        out = []
        for req in requests:
            outcome = JudgeOutcome(req.key, error="unparseable")
            for _ in range(req.max_parse_attempts or 10):
                self.calls += 1
                text = self.rule(req.messages)
                try:
                    outcome = JudgeOutcome(req.key, req.parse(text), text)
                    break
                except JudgeParseError:
                    continue
            out.append(outcome)
        return out


@pytest.fixture(scope="module")
def dream(shared_benchmarks: Path):
    records = [json.loads(line) for line in (shared_benchmarks / ANNOTATIONS).read_text().splitlines()]
    spec = get_task("dream1k")
    samples = load_samples(spec, shared_benchmarks).samples
    return spec, samples, records


def _preds(samples, records) -> tuple[dict[str, Prediction], dict[int, str]]:
    by_vid = {}
    for rec in records:
        text = crafted_prediction(rec)
        if text is not None:
            by_vid[rec["vid"]] = text
    preds = {s.sample_id: Prediction(s.sample_id, by_vid[s.meta["vid"]]) for s in samples if s.meta["vid"] in by_vid}
    return preds, by_vid


def test_loader_reads_every_clip(dream):
    _spec, samples, _records = dream
    assert len(samples) == 1000 and len({s.sample_id for s in samples}) == 1000
    counts = {}
    for s in samples:
        counts[s.subset] = counts.get(s.subset, 0) + 1
    assert counts == {"Animation": 200, "Live-action": 200, "Shorts": 200, "Stock": 200, "YouTube": 200}
    first = samples[0]
    assert first.sample_id == "dream1k/1" and first.video == "video/1.mp4"
    assert first.prompt == "Describe the video in detail." and first.source.pointer == "/0"
    assert first.answer.startswith("A character emerges from smoke and fire")
    assert first.meta["events"][1] == "The character half kneels on the ground." and first.meta["n_subjects"] == 4
    assert sum(not s.meta["events"] for s in samples) == 4  # the empty-event-list rule is exercised


def test_prompt_files_are_the_official_text():
    caption = 'A man says "hi".\nThen he WAVES.'
    assert autodq.extraction_prompt(caption) == OFFICIAL_EXTRACT.format(caption="a man says 'hi'.\nthen he waves.")
    events = ["A man waves.", "It's raining."]
    assert autodq.entailment_prompt(events, "The Man Waves.", "x") == OFFICIAL_ENTAIL.format(
        prediction="the man waves.", events=events
    )
    assert autodq.entailment_prompt([], "desc", "Own\nCaption") == OFFICIAL_ENTAIL.format(
        prediction="desc", events=["own caption"]
    )


@pytest.mark.parametrize(
    ("reply", "n", "expected"),
    [
        ('{"events": [{"event": "a", "relationship": "entailment", "reason": "r"}]}', 1, 1.0),
        ('```json\n{"events": [{"event": "a", "relationship": " Neutral "}]}\n```', 1, 0.0),
        ('"events": [{"event": "a", "relationship": "ENTAILMENT"},{"relationship": "contradiction"},]', 2, 0.5),
        ('{"events": [{"relationship": "entailment"}]}', 0, 1.0),  # empty list: one item, score 1.0
        ('{"events": [{"relationship": "entailment"}]}', 2, None),  # wrong count
        ('{"events": [{"relationship": "entailed"}]}', 1, None),  # unknown class
        ('Here is the JSON: {"events": [{"relationship": "entailment"}]}', 1, None),  # prose: official fails
        ('{"Events": [{"relationship": "entailment"}]}', 1, None),  # wrong key: official fails
        ("", 1, None),
    ],
)
def test_entailment_reply_parsing(reply, n, expected):
    if expected is None:
        with pytest.raises(JudgeParseError):
            autodq.parse_entailment(reply, n_events=n)
    else:
        assert autodq.parse_entailment(reply, n_events=n)["score"] == expected


def test_lenient_parsing_reads_what_official_rejects():
    assert autodq.parse_entailment('Sure: {"events": [{"relationship": "entailment"}]} hope it helps', n_events=1,
                                   lenient=True)["score"] == 1.0  # fmt: skip
    assert autodq.parse_entailment('{"Events": [{"Relationship": "neutral."}]}', n_events=1, lenient=True)[
        "labels"
    ] == ["neutral"]
    assert autodq.parse_events('Events below:\n```json\n{"events": ["a b"]}\n```', lenient=True) == ["a b"]
    with pytest.raises(JudgeParseError):
        autodq.parse_events('Events below:\n```json\n{"events": ["a b"]}\n```')
    assert autodq.parse_events("```python\n{'events': ['x', 'y']}\n```") == ["x", "y"]
    assert (
        autodq.parse_entailment('{"events": [{"relationship": "neutral"}]}', n_events=1, count_neutral=True)["score"]
        == 1.0
    )


def test_autodq_matches_the_official_script_on_all_clips(dream):
    spec, samples, records = dream
    preds, by_vid = _preds(samples, records)
    official = official_autodq(records, by_vid, autodq_rule)
    scores = score_task(spec, samples, preds, judge=RuleJudge(autodq_rule))
    names = {"DREAM/movie_live_action": "Live-action", "DREAM/movie_animation": "Animation",
             "DREAM/videvo": "Stock", "DREAM/youtube": "YouTube", "DREAM/vertical_video": "Shorts"}  # fmt: skip
    for dataset, name in names.items():
        f1, r, p, n_ok, n_failed = official[dataset]
        m = scores.metrics[name]
        assert m["f1"] == pytest.approx(100 * f1, abs=1e-9)
        assert m["recall"] == pytest.approx(100 * r, abs=1e-9) and m["precision"] == pytest.approx(100 * p, abs=1e-9)
        mine = [x for x in scores.samples if x.subset == name]
        assert sum(x.status == "ok" for x in mine) == n_ok and sum(x.status == "judge_failed" for x in mine) == n_failed
    f1, r, p = official["OVERALL"]
    assert scores.headline_value == pytest.approx(100 * f1, abs=1e-9)
    assert scores.metrics["overall"]["recall"] == pytest.approx(100 * r, abs=1e-9)
    for (bucket, key), (f1, r, p, n) in ((k, v) for k, v in official.items() if isinstance(k, tuple)):
        mine = scores.extra["buckets"][bucket][key]
        assert mine["n"] == n and mine["recall"] == pytest.approx(100 * r, abs=1e-9)
        assert mine["f1"] == pytest.approx(100 * f1, abs=1e-9)
        assert mine["precision"] == pytest.approx(100 * p, abs=1e-9)
    counts = scores.counts()
    assert counts["n"] == 1000 and counts["n_missing"] == 100 and counts["n_judge_failed"] == 200
    assert counts["n_scored"] == 700 and counts["n_unjudged"] == 0
    # sanity on the crafted kinds: a verbatim GT caption recalls its own events
    verbatim = next(x for x in scores.samples if x.sample_id == "dream1k/10")
    assert verbatim.detail["recall"] == 1.0 and verbatim.status == "ok"
    empty = next(x for x in scores.samples if x.sample_id == "dream1k/2")
    assert empty.detail["precision"] == 1.0 and empty.detail["pred_events"] == []  # empty list scores 1.0


def test_missing_zero_option_and_neutral_option_change_the_numbers(dream):
    spec, samples, records = dream
    preds, _ = _preds(samples, records)
    base = score_task(spec, samples, preds, judge=RuleJudge(autodq_rule))
    zero = score_task(spec, samples, preds, options={"missing": "wrong"}, judge=RuleJudge(autodq_rule))
    assert zero.metrics["overall"]["recall"] < base.metrics["overall"]["recall"]
    assert zero.counts()["n_scored"] == 800
    neutral = score_task(spec, samples, preds, options={"precision_counts_neutral": True}, judge=RuleJudge(autodq_rule))
    assert neutral.metrics["overall"]["precision"] > base.metrics["overall"]["precision"]
    assert neutral.metrics["overall"]["recall"] == base.metrics["overall"]["recall"]


def test_without_a_judge_everything_is_unjudged(dream):
    spec, samples, records = dream
    preds, _ = _preds(samples, records)
    scores = score_task(spec, samples, preds)
    assert scores.counts()["n_unjudged"] == 900 and scores.counts()["n_missing"] == 100
    assert scores.headline_value is None and any("unjudged" in n for n in scores.notes)


@pytest.mark.slow  # 80 clips over HTTP with injected faults
def test_end_to_end_over_http_with_faults_and_cache(dream, judge_server, tmp_path, monkeypatch):
    spec, samples, records = dream
    chosen = [s for s in samples if s.meta["vid"] % 20 < 2 or s.meta["vid"] % 10 in (6, 7)][:80]
    preds, _ = _preds(chosen, records)
    expected = score_task(spec, chosen, preds, judge=RuleJudge(autodq_rule))

    def faults(messages, n):  # every 7th distinct prompt: a 429, then a 500, then the answer
        if zlib.crc32(messages[-1]["content"].encode()) % 7 == 0 and n <= 2:
            return Fault.rate_limit(0.01) if n == 1 else Fault.server_error(500)
        return None

    server = judge_server(autodq_rule, fault_rule=faults)
    monkeypatch.setenv("TE_DREAM_KEY", "sk-dream-secret")

    def judge():
        cfg = JudgeConfig(model="rule", base_url=server.url, api_key_env="TE_DREAM_KEY", concurrency=8,
                          backoff_base=0.01)  # fmt: skip
        return OpenAIJudge(cfg, JudgeCache(tmp_path / "cache.sqlite"))

    first = score_task(spec, chosen, preds, judge=judge())
    assert first.metrics == expected.metrics and first.extra["buckets"] == expected.extra["buckets"]
    assert [x.status for x in first.samples] == [x.status for x in expected.samples]
    n_failed = first.counts()["n_judge_failed"]
    assert n_failed > 0
    calls_before = server.count
    second_judge = judge()
    second = score_task(spec, chosen, preds, judge=second_judge)
    assert second.metrics == first.metrics
    # judged clips cost nothing; only the judge_failed clips are asked again (10 re-asks of their failing step)
    assert server.count - calls_before == second_judge.usage()["calls"] == 10 * n_failed


@pytest.mark.parametrize(
    ("marker", "calls", "status"),
    [("", 3, "ok"), (" <badextract>", 10, "judge_failed"), (" <badentail>", 11, "judge_failed")],
)
def test_a_clips_steps_run_in_order_and_stop_at_a_failure(dream, judge_server, marker, calls, status):
    """As the official process_one_sample: the prediction's extraction, then recall, then precision; the first step
    that fails (after its 10 asks) ends the clip's requests."""
    spec, samples, _ = dream
    clip = samples[9]
    server = judge_server(autodq_rule)
    judge = OpenAIJudge(JudgeConfig(model="rule", base_url=server.url, api_key_env="TE_NO_KEY", backoff_base=0.01))
    scores = score_task(spec, [clip], {clip.sample_id: Prediction(clip.sample_id, clip.answer + marker)}, judge=judge)
    assert scores.samples[0].status == status and server.count == calls
    recall = f"Events: {clip.meta['events']}\n"  # the GT events are the recall step's
    steps = ["extract" if "Extract at most 10" in p else "recall" if recall in p else "precision"
             for p in (str(r["messages"][-1]["content"]) for r in server.requests)]  # fmt: skip
    first = {step: steps.index(step) for step in dict.fromkeys(steps)}
    assert list(first) == ["extract", "recall", "precision"][: len(first)]
    assert ("precision" in first) == (status == "ok")


def test_score_cli_writes_lone_surrogates_readably(shared_benchmarks, judge_server, tmp_path):
    """The conformance adversarial set through the real CLI: the events of an emoji-only description come back from
    ast.literal_eval of the judge's JSON escapes as lone surrogates (as officially); samples.jsonl is still written
    and reads back as the official events (a JSON reader pairs the surrogates again)."""
    folder = FIXTURES / "conformance" / "dream1k" / "official"
    server = judge_server(autodq_repairs_rule)
    out = tmp_path / "run"
    proc = run_cli("score", "--task", "dream1k", "--predictions", str(folder / "adversarial.predictions.jsonl"),
                   "--data-root", str(shared_benchmarks), "--output", str(out), "--judge-base-url", server.url,
                   "--judge-model", "gpt-35-turbo-0125", "--judge-api-key-env", "TE_NO_KEY", "--no-judge-cache")  # fmt: skip
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr[-2000:]  # 1: clips without a reply
    rows = {
        r["sample_id"]: r for r in map(json.loads, (out / "samples.jsonl").read_text(encoding="utf-8").splitlines())
    }
    verdicts = [json.loads(line) for line in (folder / "adversarial.verdicts.jsonl").read_text().splitlines()]
    emoji = [v for v in verdicts if "\N{SLIGHTLY SMILING FACE}" in json.dumps(v["parsed"], ensure_ascii=False)]
    assert len(emoji) == 4, "the adversarial set has emoji-only descriptions"
    for v in verdicts:
        assert rows[v["sample_id"]]["parsed"] == v["parsed"]
    assert json.loads((out / "scores.json").read_text())["tasks"]["dream1k"]["n_scored"] == len(verdicts)
