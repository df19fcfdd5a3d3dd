"""The workloads of the comparison table: which module, what size, how reported."""
import dataclasses
import importlib
from typing import Optional

QUICK_REPEAT = 3


@dataclasses.dataclass(frozen=True)
class Workload:
    module: str                  # benchmarks.<module> defines make_case and the checks
    label: str                   # the table's first column, formatted with the size
    size: Optional[int]          # passed to make_case (None: the module's only size)
    quick_size: Optional[int]    # the size under --quick
    repeat: int                  # timed runs (median)
    scale: float = 1e3           # seconds -> the unit below
    forward_unit: str = "ms"
    backward_unit: str = "ms"
    per: int = 1                 # divide the time by this (ops in the chain)

    def bench(self):
        return importlib.import_module(f"benchmarks.{self.module}")

    def title(self, quick=False):
        return self.label.format(size=self.quick_size if quick else self.size)


WORKLOADS = {
    "chain": Workload("bench_chain", "chain, 3,000 ops on (16,)", None, None, 21,
                      scale=1e6, forward_unit="us/op", backward_unit="us/node", per=3000),
    "q": Workload("bench_q", "Q, {size:,} float32", 4_000_000, 400_000, 11),
    "mlp": Workload("bench_mlp", "MLP step, batch {size}, 784-512-512-10", 128, 16, 11),
    "resnet1": Workload("bench_resnet", "ResNet-18 step, ({size}, 3, 64, 64)", 1, 1, 7),
    "resnet16": Workload("bench_resnet", "ResNet-18 step, ({size}, 3, 64, 64)", 16, 2, 5),
}
