"""Adam and AdamW (Adam with decoupled weight decay)."""
import numpy as np

from autograd.optim.optimizer import (
    Optimizer, _check_unsupported, _state_tensor, _update_buffer,
)


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``.

    Per parameter at step ``t``, with ``g`` its gradient (negated when ``maximize``)::

        g = g + weight_decay * p          (or p = p * (1 - lr * weight_decay),
                                           with decoupled_weight_decay)
        m = lerp(m, g, 1 - beta1)
        v = beta2 * v + (1 - beta2) * g * g
        vmax = max(vmax, v)               (amsgrad; then used in place of v)
        denom = sqrt(v) / sqrt(1 - beta2**t) + eps
        p = p - lr / (1 - beta1**t) * m / denom

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr (float): learning rate (default 1e-3).
        betas (tuple): decay rates of the first and second moments
            (default (0.9, 0.999)).
        eps (float): added to the denominator for stability (default 1e-8).
        weight_decay (float): L2 penalty (default 0).
        amsgrad (bool): use the running maximum of the second moment.
        maximize (bool): ascend the objective instead of descending it.
        decoupled_weight_decay (bool): decay the weights directly (AdamW).

    The state of a parameter holds ``step`` (a float32 scalar tensor),
    ``exp_avg``, ``exp_avg_sq`` and, with amsgrad, ``max_exp_avg_sq``.

    Example:
        >>> w = autograd.tensor([1., -1.], requires_grad=True)
        >>> opt = autograd.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.9000, -0.9000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check_arguments(lr, betas, eps, weight_decay)
        _check_unsupported(type(self).__name__, capturable=capturable,
                           differentiable=differentiable, fused=fused)
        defaults = dict(
            lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
            maximize=maximize, foreach=foreach, capturable=capturable,
            differentiable=differentiable, fused=fused,
            decoupled_weight_decay=decoupled_weight_decay,
        )
        super().__init__(params, defaults)

    def __setstate__(self, state):
        super().__setstate__(state)
        # An older state may hold ``step`` as a plain number.
        for param_state in self.state.values():
            step = param_state.get("step") if isinstance(param_state, dict) else None
            if step is not None and not hasattr(step, "_data"):
                param_state["step"] = _state_tensor(np.array(float(step), dtype=np.float32))

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss.

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            beta1, beta2 = (float(b) for b in group["betas"])
            eps = float(group["eps"])
            weight_decay = float(group["weight_decay"])
            amsgrad = group["amsgrad"]
            maximize = group["maximize"]
            decoupled = group["decoupled_weight_decay"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = _state_tensor(np.zeros((), dtype=np.float32))
                    state["exp_avg"] = _state_tensor(np.zeros_like(p._data))
                    state["exp_avg_sq"] = _state_tensor(np.zeros_like(p._data))
                    if amsgrad:
                        state["max_exp_avg_sq"] = _state_tensor(np.zeros_like(p._data))
                _adam_update(
                    p, p._grad._data, state, lr, beta1, beta2, eps, weight_decay,
                    amsgrad, maximize, decoupled,
                )
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay, as ``torch.optim.AdamW``.

    Same as ``Adam(..., decoupled_weight_decay=True)``: each step first
    shrinks the weights by ``1 - lr * weight_decay``, leaving the moments
    free of the penalty. ``weight_decay`` defaults to 1e-2.

    Example:
        >>> w = autograd.tensor([1., -1.], requires_grad=True)
        >>> opt = autograd.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([ 0.8500, -0.8500], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(
            params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
            amsgrad=amsgrad, foreach=foreach, maximize=maximize, capturable=capturable,
            differentiable=differentiable, fused=fused, decoupled_weight_decay=True,
        )


def _check_arguments(lr, betas, eps, weight_decay):
    if not 0.0 <= lr:
        raise ValueError(f"Invalid learning rate: {lr}")
    if not 0.0 <= eps:
        raise ValueError(f"Invalid epsilon value: {eps}")
    if not 0.0 <= betas[0] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
    if not 0.0 <= betas[1] < 1.0:
        raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
    if not 0.0 <= weight_decay:
        raise ValueError(f"Invalid weight_decay value: {weight_decay}")


def _adam_update(p, grad, state, lr, beta1, beta2, eps, weight_decay, amsgrad,
                 maximize, decoupled):
    """One Adam step for one parameter, in PyTorch's operation order.

    Scalars are Python floats, so numpy applies them in the parameter's dtype
    (a float32 parameter is updated in float32, as in PyTorch).
    """
    exp_avg = state["exp_avg"]._data
    exp_avg_sq = state["exp_avg_sq"]._data
    step_t = state["step"]._data
    step_t += 1
    step = float(step_t)
    param = _update_buffer(p)

    if maximize:
        grad = np.negative(grad, out=np.empty_like(grad))
    if weight_decay != 0:
        if decoupled:
            param *= 1.0 - lr * weight_decay
        else:
            decayed = np.multiply(param, weight_decay, out=np.empty_like(param))
            np.add(grad, decayed, out=decayed)
            grad = decayed

    tmp = np.empty_like(param)
    # m = lerp(m, g, w); PyTorch's lerp picks the form that is exact at its end.
    weight = 1.0 - beta1
    np.subtract(grad, exp_avg, out=tmp)
    if abs(weight) < 0.5:
        tmp *= weight
        exp_avg += tmp
    else:
        tmp *= 1.0 - weight
        np.subtract(grad, tmp, out=exp_avg)

    # v = beta2 * v + ((1 - beta2) * g) * g
    exp_avg_sq *= beta2
    np.multiply(grad, 1.0 - beta2, out=tmp)
    tmp *= grad
    exp_avg_sq += tmp

    bias_correction1 = 1.0 - beta1 ** step
    bias_correction2 = 1.0 - beta2 ** step
    step_size = lr / bias_correction1
    bias_correction2_sqrt = bias_correction2 ** 0.5

    if amsgrad:
        max_exp_avg_sq = state["max_exp_avg_sq"]._data
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    else:
        second = exp_avg_sq
    denom = np.sqrt(second, out=tmp)
    denom /= bias_correction2_sqrt
    denom += eps

    # p = p + ((-step_size) * m) / denom
    update = np.multiply(exp_avg, -step_size, out=np.empty_like(exp_avg))
    update /= denom
    param += update
