"""Distributions of token counts and the epochs / billed-tokens / cost estimate.

Counts are integers with few distinct values, so a histogram holds them exactly in memory that
grows with the number of distinct values, not of examples: median and p95 stay exact (linear
interpolation between order statistics, as numpy.percentile's default) on any file size.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

__all__ = ["Estimate", "Histogram", "LengthBins", "Summary", "default_epochs"]

# The OpenAI cookbook's default-epochs heuristic for chat fine-tuning data.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25


@dataclass(frozen=True)
class Summary:
    """sum/min/max/mean/median/p95 of a distribution; all but `sum` are None when it is empty."""

    sum: int
    min: int | None
    max: int | None
    mean: float | None
    median: float | None
    p95: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


@dataclass
class Histogram:
    """Exact distribution of non-negative integers."""

    counts: Counter[int] = field(default_factory=Counter)
    n: int = 0
    total: int = 0

    def add(self, value: int) -> None:
        self.counts[value] += 1
        self.n += 1
        self.total += value

    def add_all(self, values: Sequence[int]) -> None:
        self.counts.update(values)
        self.n += len(values)
        self.total += sum(values)

    def summary(self) -> Summary:
        if not self.n:
            return Summary(0, None, None, None, None, None)
        values = sorted(self.counts)
        return Summary(
            sum=self.total,
            min=values[0],
            max=values[-1],
            mean=self.total / self.n,
            median=self.quantile(0.5, values),
            p95=self.quantile(0.95, values),
        )

    def quantile(self, q: float, values: list[int] | None = None) -> float:
        position = (self.n - 1) * q
        lower = int(position)
        low, high = self._order_statistics(lower, values or sorted(self.counts))
        return low + (high - low) * (position - lower)

    def _order_statistics(self, k: int, values: list[int]) -> tuple[int, int]:
        """The k-th and (k+1)-th smallest values (0-based; the last one repeats at the end)."""
        seen = 0
        low = None
        for value in values:
            seen += self.counts[value]
            if low is None and seen > k:
                low = value
            if low is not None and seen > k + 1:
                return low, value
        return (low if low is not None else values[-1]), values[-1]


def default_epochs(n_examples: int) -> int:
    """The cookbook's heuristic: aim at 3 epochs, but at least 100 and at most 25,000 example
    passes in total, within 1..25 epochs."""
    epochs = TARGET_EPOCHS
    if n_examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // n_examples)
    elif n_examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // n_examples)
    return epochs


@dataclass(frozen=True)
class Estimate:
    """What training would bill: tokens per epoch (each example capped at the context limit)
    times epochs, and the cost when a price is known."""

    epochs: int | None
    billed_tokens: int
    context_limit: int
    price_per_1m_tokens: float | None
    cost_usd: float | None

    @classmethod
    def compute(
        cls, tokens: Histogram, context_limit: int, n_epochs: int | None, price: float | None
    ) -> Estimate:
        if not tokens.n:
            return cls(n_epochs, 0, context_limit, price, None if price is None else 0.0)
        epochs = n_epochs if n_epochs is not None else default_epochs(tokens.n)
        per_epoch = sum(min(context_limit, value) * count for value, count in tokens.counts.items())
        billed = per_epoch * epochs
        cost = None if price is None else round(billed * price / 1_000_000, 6)
        return cls(epochs, billed, context_limit, price, cost)

    def to_dict(self) -> dict[str, float | int | None]:
        return asdict(self)


# Example lengths run from a few tokens to the context limit: bins of equal width on a log scale
# (three to a doubling) show both ends. A bin [edges[i], edges[i+1]) counts counts[i] examples.
BINS_PER_DOUBLING = 3


@dataclass(frozen=True)
class LengthBins:
    """Example lengths in tokens, binned for the histogram. The last edge passes both the
    longest example and the context limit, and one edge is the limit plus one, so the bins
    from there on hold exactly the examples over the limit."""

    edges: list[int]
    counts: list[int]

    @classmethod
    def compute(cls, lengths: Sequence[Histogram], context_limit: int) -> LengthBins:
        """Bins of the lengths in all of `lengths` (valid examples, and counted invalid ones)."""
        longest = max((max(histogram.counts, default=0) for histogram in lengths), default=0)
        top = max(context_limit, longest) + 1
        edges = [1]
        step = 0
        while edges[-1] <= top:
            step += 1
            edges.append(max(edges[-1] + 1, round(2 ** (step / BINS_PER_DOUBLING))))
        edges = sorted({*edges, context_limit + 1})  # a bin starts right above the limit
        counts = [0] * (len(edges) - 1)
        for histogram in lengths:
            for value, count in histogram.counts.items():
                counts[min(max(bisect_right(edges, value) - 1, 0), len(counts) - 1)] += count
        return cls(edges, counts)

    def to_dict(self) -> dict[str, list[int]]:
        return {"edges": self.edges, "counts": self.counts}
