"""The engine's modules, in import order (each imports only those before it)."""

ENGINE_MODULES = (
    "grad_mode",
    "tensor",
    "graph",
    "shape_ops",
    "pointwise_ops",
    "reduce_ops",
    "linalg_ops",
    "conv_ops",
    "nn_ops",
    "inplace_ops",
    "optim_ops",
)
