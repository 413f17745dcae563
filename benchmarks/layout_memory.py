"""Peak memory of loading a checkpoint in the `tarsier2` weight layout (renamed while loading) against the same
weights in the names transformers writes (`qwen2vl-legacy`): the key map must not hold a second copy.

A random Qwen2-VL of about `--params-m` million parameters is saved in both layouts; each is loaded by the
tarsier2 backend's loader (`load_checked`, the strict check included) in a fresh process, which reports its
peak resident memory above the baseline after imports, once every weight has been read (a checksum, equal for
both). Prints both, the weights' size and the ratio.

    PYTHONPATH=. python benchmarks/layout_memory.py [--params-m 300]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

CHILD = """
import json, sys
import torch
from tarsier_eval.models.checkpoint import qwen2vl_config, read_config
from tarsier_eval.models.strict import check_before_loading
from tarsier_eval.models.tarsier2 import load_checked
def high_water_mib():  # VmHWM: peak resident memory of this process (ru_maxrss would include the parent's)
    fields = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(fields["VmHWM"].split()[0]) / 1024
path = sys.argv[1]
config, raw = qwen2vl_config(path), read_config(path)
before = high_water_mib()
report = check_before_loading(path, config, raw, True)
model, _ = load_checked(path, config, raw, {"weight_layout": report.layout}, True, dtype=torch.float32)
with torch.no_grad():  # touch every weight: memory-mapped pages count once read
    checksum = sum(float(p.double().sum()) for p in model.parameters())
print(json.dumps({"layout": report.layout, "peak_mib": high_water_mib() - before, "checksum": checksum}))
"""


def build(root: Path, params_m: int) -> tuple[Path, Path, float]:
    """The same random weights in the legacy layout (as saved) and in Tarsier2's layout with its llava config."""
    import torch
    from safetensors.torch import load_file
    from transformers import Qwen2VLConfig, Qwen2VLForConditionalGeneration

    from tests.support.layouts import write_layout

    layers = max(1, params_m // 25)
    config = Qwen2VLConfig(
        text_config={"vocab_size": 32000, "hidden_size": 1024, "intermediate_size": 4096, "num_hidden_layers": layers,
                     "num_attention_heads": 8, "num_key_value_heads": 8, "tie_word_embeddings": False, "bos_token_id": 0, "eos_token_id": 1,
                     "rope_scaling": {"type": "mrope", "mrope_section": [16, 24, 24]}},
        vision_config={"depth": 2, "embed_dim": 256, "hidden_size": 1024, "num_heads": 4},
        tie_word_embeddings=False,
    )  # fmt: skip
    torch.manual_seed(0)
    legacy = root / "legacy"
    Qwen2VLForConditionalGeneration(config).save_pretrained(legacy)
    size = sum(v.numel() * v.element_size() for v in load_file(legacy / "model.safetensors").values()) / 2**20
    tarsier2 = write_layout(legacy, root / "tarsier2", "tarsier2")
    return legacy, tarsier2, size


def peak(path: Path) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path)], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params-m", type=int, default=300, help="approximate model size, millions of parameters")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="layout-memory."))
    try:
        legacy, tarsier2, size = build(root, args.params_m)
        base, renamed = peak(legacy), peak(tarsier2)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"weights: {size:.0f} MiB (fp32)")
    for row in (base, renamed):
        print(f"{row['layout']:>15}: load peak {row['peak_mib']:.0f} MiB above baseline")
    assert renamed["checksum"] == base["checksum"], "the two layouts loaded different weights"
    print(f"tarsier2 / qwen2vl-legacy peak ratio: x{renamed['peak_mib'] / max(base['peak_mib'], 1.0):.2f}")


if __name__ == "__main__":
    main()
