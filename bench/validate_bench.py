"""Benchmark: the lab's notebook method vs tuning.validation on the same generated files.

    python bench/validate_bench.py [--sizes-mb 50 200] [--repeat 3] [--keep DIR]

Generates deterministic chat datasets (~50 MB and ~200 MB) in a temporary directory, then runs
each method in its own subprocess (so peak RSS is per method): the lab's method loads every line
with json.loads and counts with its two functions; ours is validate_path with every rule on
(special tokens, per-model and vision rules, duplicates and conflicting answers, the secrets and
personal-data scan), and once more with the scan off, to measure the scan's share. All exclude
loading the encoding, which is the same for all. Prints wall and CPU time, peak RSS (VmHWM of
the process; for ours also the largest worker), the ratios, and checks that the lab and we
produced the same token sums. The wall-time ratio needs both cores free: other load on the
machine shows up as a CPU ratio well above the wall ratio. Not part of the test suite: tests
never assert on time.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lab import num_assistant_tokens_from_messages, num_tokens_from_messages  # noqa: E402
from tuning.tokenizers import get_encoding  # noqa: E402
from tuning.validation import validate_path  # noqa: E402
from tuning.validation.fingerprints import BYTES_PER_EXAMPLE  # noqa: E402

ENCODING = "o200k_base"
SEED = 105
# Varied text: ASCII, accents, CJK, Cyrillic, Greek, emoji, numbers, code.
VOCABULARY = """
the of and to in is that for it as was with be by on not he this are or his from at which but have an
they you were her she there been one all we their if has would will so no its can do model data token
training example answer question because through between during before café naïve façade jalapeño
über straße déjà-vu 東京 数据 模型 данные модель χρόνος 🙂 🚀 API JSON HTTP 2026 3.14 42 1,000 x=y+1;
def f(): return None {key: value} <tag>
"""
WORDS = VOCABULARY.split()
SYSTEM_PROMPTS = [" ".join(random.Random(index).choices(WORDS, k=60 + 20 * index)) for index in range(8)]
# Shares of user messages that carry personal data, so the scan's closer look runs as it would on
# real data (warnings only: the file stays valid and its token sums stay the lab's).
EMAIL_SHARE, PHONE_SHARE = 0.01, 0.005
METHODS = {"lab": "the lab's method", "ours": "tuning.validation", "ours-noscan": "  with the scan off"}


def run_lab(path: Path, encoding: Any) -> dict[str, object]:
    """The lab's method: load every line, then count with the notebook's functions."""
    with open(path) as lines:
        dataset = [json.loads(line) for line in lines]
    total = [num_tokens_from_messages(encoding, example["messages"]) for example in dataset]
    assistant = [num_assistant_tokens_from_messages(encoding, example["messages"]) for example in dataset]
    stats = {
        name: (min(v), max(v), np.mean(v), np.median(v), np.percentile(v, 95))
        for name, v in (("total", total), ("assistant", assistant))
    }
    return {"examples": len(dataset), "total": sum(total), "assistant": sum(assistant), "stats": str(stats)}


def run_ours(path: Path, data_scan: str) -> dict[str, object]:
    report = validate_path(
        path, "gpt-4o", encoding=ENCODING, method="supervised", training_type="Standard", data_scan=data_scan
    )
    assert report.valid, report.error_counts
    return {
        "examples": report.valid_examples,
        "total": report.total_tokens.sum,
        "assistant": report.assistant_tokens.sum,
        "warnings": report.warning_counts,
    }


def child(method: str, path: Path) -> None:
    """Runs one method in this (fresh) process and prints its measurements as JSON."""
    encoding = get_encoding(ENCODING)  # loaded before the clock starts, for every method
    start, cpu_start = time.perf_counter(), _cpu_seconds()
    if method == "lab":
        result = run_lab(path, encoding)
    else:
        result = run_ours(path, "off" if method == "ours-noscan" else "warn")
    result["seconds"] = time.perf_counter() - start
    result["cpu_seconds"] = _cpu_seconds() - cpu_start
    result["peak_rss_mb"] = _vm_hwm_mb()
    result["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps(result))


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (our workers)."""
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return sum(u.ru_utime + u.ru_stime for u in usage)


def _vm_hwm_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, megabytes: int) -> int:
    """A deterministic chat dataset of about `megabytes` MB: shared system prompts, 1-3 turns of
    varied text (ASCII, accents, CJK, Cyrillic, emoji, code), some named users, a few e-mail
    addresses and phone numbers."""
    rng = random.Random(SEED)
    target = megabytes * 1_000_000
    written = examples = 0
    with open(path, "w", encoding="utf-8") as out:
        while written < target:
            messages = [{"role": "system", "content": rng.choice(SYSTEM_PROMPTS)}]
            for _ in range(rng.randint(1, 3)):
                words = rng.choices(WORDS, k=rng.randint(20, 150))
                if rng.random() < EMAIL_SHARE:
                    words.append(f"user{rng.randrange(10_000)}@example.com")
                if rng.random() < PHONE_SHARE:
                    words.append(f"+44 20 7946 {rng.randrange(10_000):04d}")
                user = {"role": "user", "content": " ".join(words)}
                if rng.random() < 0.2:
                    user["name"] = rng.choice(["alice", "bob", "carol_1"])
                messages.append(user)
                messages.append(
                    {"role": "assistant", "content": " ".join(rng.choices(WORDS, k=rng.randint(30, 300)))}
                )
            line = json.dumps({"messages": messages}, ensure_ascii=rng.random() < 0.5) + "\n"
            out.write(line)
            written += len(line.encode())
            examples += 1
    return examples


def measure(method: str, path: Path) -> dict[str, Any]:
    output = subprocess.run(
        [sys.executable, __file__, "--child", method, str(path)], check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    return result


def best_of(repeat: int, methods: list[str], path: Path) -> list[dict[str, Any]]:
    """The fastest of `repeat` runs per method, alternating methods so that load from other
    processes on the machine falls on all alike."""
    runs: dict[str, list[dict[str, Any]]] = {method: [] for method in methods}
    for _ in range(repeat):
        for method in methods:
            runs[method].append(measure(method, path))
    return [min(runs[method], key=lambda result: result["seconds"]) for method in methods]


def report(small: Path, large: Path, results: dict[str, dict[str, Any]], large_ours: dict[str, Any]) -> bool:
    """Prints the comparison; returns whether the lab's and our token sums are equal."""
    lab, ours, noscan = results["lab"], results["ours"], results["ours-noscan"]
    same = all(lab[key] == ours[key] for key in ("examples", "total", "assistant"))
    print(f"\n{small.name} ({ours['examples']} examples, token sums equal: {same})")
    for method, result in results.items():
        print(
            f"  {METHODS[method]:20} {result['seconds']:7.2f} s wall, {result['cpu_seconds']:6.2f} s CPU"
            f"   peak RSS {result['peak_rss_mb']:7.1f} MB"
            f" (largest worker {result['children_peak_rss_mb']:.1f} MB)"
        )
    print(f"  warnings found: {ours['warnings']}")
    print(f"  speed-up: {lab['seconds'] / ours['seconds']:.2f}x faster than the lab's method (wall time)")
    print(f"  CPU work: {lab['cpu_seconds'] / ours['cpu_seconds']:.2f}x less than the lab's method")
    for unit in ("seconds", "cpu_seconds"):
        share = (ours[unit] - noscan[unit]) / ours[unit]
        print(f"  the secrets and personal-data scan: {share:.1%} of validation {unit.replace('_', ' ')}")
    print(
        f"  fingerprints kept: {BYTES_PER_EXAMPLE} bytes per example, "
        f"{BYTES_PER_EXAMPLE * ours['examples'] / 1e6:.2f} MB for this file"
    )
    print(f"\n{large.name}: tuning.validation {large_ours['seconds']:.2f} s")
    for label, key in (("main process", "peak_rss_mb"), ("largest worker", "children_peak_rss_mb")):
        growth = large_ours[key] - ours[key]
        print(f"  peak RSS {label}: {ours[key]:.1f} MB -> {large_ours[key]:.1f} MB (growth {growth:+.1f} MB)")
    return same


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes-mb", type=int, nargs=2, default=(50, 200), metavar=("SMALL", "LARGE"))
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement; the fastest counts")
    parser.add_argument("--keep", type=Path, help="generate into this directory and keep the files")
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        small, large = (folder / f"chat-{size}mb.jsonl" for size in args.sizes_mb)
        for path, size in ((small, args.sizes_mb[0]), (large, args.sizes_mb[1])):
            print(
                f"generated {path.name}: {generate(path, size)} examples, {path.stat().st_size / 1e6:.1f} MB"
            )
        results = dict(zip(METHODS, best_of(args.repeat, list(METHODS), small), strict=True))
        (large_ours,) = best_of(args.repeat, ["ours"], large)
        if not report(small, large, results, large_ours):
            raise SystemExit("token sums differ between the lab's method and ours")


if __name__ == "__main__":
    main()
