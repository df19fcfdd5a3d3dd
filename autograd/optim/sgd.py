"""Stochastic gradient descent, optionally with (Nesterov) momentum."""
import numpy as np

from engine.optim_ops import sgd_update

from autograd.optim.optimizer import (
    Optimizer, _check_unsupported, _state_tensor, _update_buffer,
)


class SGD(Optimizer):
    """Stochastic gradient descent, as ``torch.optim.SGD``.

    Per parameter, with ``g`` its gradient (negated when ``maximize``)::

        g = g + weight_decay * p
        buf = g                                   (first step)
        buf = momentum * buf + (1 - dampening) * g (later steps)
        g = g + momentum * buf  if nesterov  else  buf
        p = p - lr * g

    Args:
        params: tensors or parameter-group dicts to optimize.
        lr (float): learning rate (default 1e-3).
        momentum (float): momentum factor (default 0).
        dampening (float): dampening of the momentum (default 0).
        weight_decay (float): L2 penalty (default 0).
        nesterov (bool): use Nesterov momentum (needs momentum > 0, dampening 0).
        maximize (bool): ascend the objective instead of descending it.

    Example:
        >>> w = autograd.tensor([1., 2.], requires_grad=True)
        >>> opt = autograd.optim.SGD([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> w
        tensor([0.8000, 1.6000], requires_grad=True)
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        _check_unsupported("SGD", differentiable=differentiable, fused=fused)
        defaults = dict(
            lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
            nesterov=nesterov, maximize=maximize, foreach=foreach,
            differentiable=differentiable, fused=fused,
        )
        super().__init__(params, defaults)

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss.

        Args:
            closure (callable, optional): re-evaluates the model and returns the loss.
        """
        loss = self._eval_closure(closure)
        for group in self.param_groups:
            lr = float(group["lr"])
            momentum = float(group["momentum"])
            dampening = float(group["dampening"])
            weight_decay = float(group["weight_decay"])
            nesterov = group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                if p._grad is None:
                    continue
                g = p._grad._data
                if self._fused_step(p, g, lr, momentum, dampening, weight_decay, nesterov,
                                    maximize):
                    continue
                # ``owned`` says g is a temporary of this step, free to overwrite.
                owned = False
                if maximize:
                    g = np.negative(g, out=np.empty_like(g))
                    owned = True
                if weight_decay != 0:
                    d = np.multiply(p._data, weight_decay, out=np.empty_like(g))
                    np.add(g, d, out=d)
                    g, owned = d, True
                if momentum != 0:
                    state = self.state[p]
                    buf_t = state.get("momentum_buffer")
                    if buf_t is None:
                        # PyTorch clones the gradient; a temporary of this step
                        # can become the buffer as it is.
                        buf = g if owned else g.copy()
                        state["momentum_buffer"] = _state_tensor(buf)
                    else:
                        buf = buf_t._data
                        buf *= momentum
                        # nesterov reads g again below: scale g in place only without it.
                        _add_scaled(buf, g, 1.0 - dampening, owned and not nesterov)
                    if nesterov:
                        d = np.multiply(buf, momentum, out=np.empty_like(buf))
                        np.add(g, d, out=d)
                        g, owned = d, True
                    else:
                        g, owned = buf, False
                if owned:
                    g *= -lr
                else:
                    g = np.multiply(g, -lr, out=np.empty_like(g))
                np.add(p._data, g, out=_update_buffer(p))
        return loss


    def _fused_step(self, p, g, lr, momentum, dampening, weight_decay, nesterov, maximize):
        """The whole update in one compiled pass, where the engine has it
        (the same arithmetic as the numpy form below, without its temporaries)."""
        buf = None
        first = False
        if momentum != 0:
            state = self.state[p]
            buf_t = state.get("momentum_buffer")
            first = buf_t is None
            buf = np.empty_like(g) if first else buf_t._data
        if not sgd_update(p._data, g, buf, lr, momentum, dampening, weight_decay, nesterov,
                          maximize, first):
            return False
        if first:
            state["momentum_buffer"] = _state_tensor(buf)
        _update_buffer(p)
        return True


def _add_scaled(out, x, alpha, x_owned):
    """``out += alpha * x`` (PyTorch's ``add_(x, alpha=alpha)``)."""
    if alpha == 1.0:
        out += x
    elif x_owned:
        # x is not needed afterwards: scale it in place, no temporary.
        x *= alpha
        out += x
    else:
        out += np.multiply(x, alpha, out=np.empty_like(x))
