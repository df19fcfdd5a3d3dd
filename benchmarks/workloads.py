"""The workloads of the comparison table: which module, what size, how reported."""
import dataclasses
import importlib
from typing import Any, Optional, Tuple

QUICK_REPEAT = 3
ENGINES = ("compiled", "python", "torch", "numpy", "micrograd")
OPTIONAL = ("torch", "micrograd")        # baselines that may not be installed
GRAPH_ENGINES = ("compiled", "python", "torch")
DEFAULT_ENGINES = GRAPH_ENGINES + ("numpy",)


@dataclasses.dataclass(frozen=True)
class Workload:
    module: str                  # benchmarks.<module> defines make_case and the checks
    label: str                   # the table's first column, formatted with the size
    size: Any                    # passed to make_case (None: the module's only size)
    quick_size: Any              # the size under --quick
    repeat: int                  # timed runs (median)
    scale: float = 1e3           # seconds -> the unit below
    forward_unit: str = "ms"
    backward_unit: str = "ms"
    per: Optional[int] = 1       # divide the time by this (ops in the chain); None: by the size
    engines: Tuple[str, ...] = DEFAULT_ENGINES   # the others print "no version", not run
    quick: bool = True           # part of --quick
    quick_repeat: int = QUICK_REPEAT
    paired: bool = False         # each timed backward runs on its own timed forward's graph

    def bench(self):
        return importlib.import_module(f"benchmarks.{self.module}")

    def title(self, quick=False):
        return self.label.format(size=self.quick_size if quick else self.size)

    def divisor(self, size):
        return size if self.per is None else self.per


def _node_counts(name, module, label, quick_exponents):
    """The node-count workload at N = 10^4, 10^5, 10^6 (--quick: those named, once)."""
    return {
        f"{name}{exponent}": Workload(
            module, label, 10**exponent, 10**exponent, repeat, scale=1e6,
            forward_unit="us/op", backward_unit="us/node", per=None, engines=GRAPH_ENGINES,
            quick=exponent in quick_exponents, quick_repeat=1, paired=True)
        for exponent, repeat in ((4, 7), (5, 3), (6, 1))
    }


WORKLOADS = {
    "chain": Workload("bench_chain", "chain, 3,000 ops on {size}", (16,), (16,), 21,
                      scale=1e6, forward_unit="us/op", backward_unit="us/node", per=3000),
    "chain0": Workload("bench_chain", "chain, 3,000 ops on {size}", (), (), 21,
                       scale=1e6, forward_unit="us/op", backward_unit="us/node", per=3000,
                       engines=DEFAULT_ENGINES + ("micrograd",)),
    "micromlp": Workload("bench_micro_mlp", "micrograd MLP step, 100 points, 2-16-16-1",
                         None, None, 11, engines=DEFAULT_ENGINES + ("micrograd",),
                         quick_repeat=1),
    "q": Workload("bench_q", "Q, {size:,} float32", 4_000_000, 400_000, 11),
    "mlp": Workload("bench_mlp", "MLP step, batch {size}, 784-512-512-10", 128, 16, 11),
    "resnet1": Workload("bench_resnet", "ResNet-18 step, ({size}, 3, 64, 64)", 1, 1, 7,
                        engines=GRAPH_ENGINES, quick_repeat=1),
    "resnet16": Workload("bench_resnet", "ResNet-18 step, ({size}, 3, 64, 64)", 16, 2, 5,
                         engines=GRAPH_ENGINES, quick=False),
    **_node_counts("depth", "bench_depth", "backward scaling: chain of {size:,} nodes on ()",
                   (4, 5)),
    # PyTorch alone takes seconds on 10^5 uses: --quick stays at 10^4
    **_node_counts("fanout", "bench_fanout", "backward scaling: one leaf used {size:,} times",
                   (4,)),
}
