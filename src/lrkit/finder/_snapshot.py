"""Everything a range test changes, copied so that it can be put back exactly (`Snapshot`)."""

from __future__ import annotations

import copy
import random
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["Snapshot"]


def _clone(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return value.detach().clone()
    return copy.deepcopy(value)


class Snapshot:
    """Everything a range test changes, copied so that it can be put back exactly.

    The model's parameters (values, gradients, ``requires_grad``), buffers (batch-norm running
    statistics and counters, persistent or not), train/eval modes, the optimizer's state and every
    group option (rates included; tensor rates are refilled in place), a GradScaler's state, and the
    random number generators of torch (CPU and CUDA), numpy and Python.

    Example:
        >>> import torch
        >>> net = torch.nn.Linear(2, 1)
        >>> opt = torch.optim.SGD(net.parameters(), lr=0.1)
        >>> before = net.weight.clone()
        >>> snap = Snapshot(net, opt)
        >>> with torch.no_grad():
        ...     _ = net.weight.add_(1.0)
        >>> snap.restore_model()
        >>> torch.equal(net.weight, before)
        True
    """

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, scaler: Any = None) -> None:
        self.model = model
        self.optimizer = optimizer
        self.scaler = scaler
        self.params = [
            (p, p.detach().clone(), None if p.grad is None else p.grad.detach().clone(), p.requires_grad)
            for p in model.parameters()
        ]
        self.buffers = [
            (module, name, buffer, buffer.detach().clone())
            for module in model.modules()
            for name, buffer in module._buffers.items()
            if buffer is not None
        ]
        self.modes = [(module, module.training) for module in model.modules()]
        self.state = {p: {k: _clone(v) for k, v in s.items()} for p, s in optimizer.state.items()}
        self.groups = [{k: _clone(v) for k, v in g.items() if k != "params"} for g in optimizer.param_groups]
        self.scaler_state = copy.deepcopy(scaler.state_dict()) if scaler is not None else None
        self.torch_rng = torch.get_rng_state()
        self.cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None
        self.numpy_rng = np.random.get_state()
        self.python_rng = random.getstate()

    def restore_model(self) -> None:
        """Put back the parameters, gradients, buffers, modes, optimizer and scaler (not the RNGs)."""
        with torch.no_grad():
            for p, value, grad, requires_grad in self.params:
                p.copy_(value)
                p.grad = None if grad is None else grad.clone()  # type: ignore[assignment]
                p.requires_grad_(requires_grad)
            for module, name, buffer, value in self.buffers:
                current = module._buffers.get(name)
                if current is buffer:
                    buffer.copy_(value)
                else:  # the module replaced its buffer: put the original object back
                    buffer.copy_(value)
                    module._buffers[name] = buffer
        for module, training in self.modes:
            module.training = training
        self.optimizer.state.clear()
        for tensor, saved_state in self.state.items():
            self.optimizer.state[tensor] = {k: _clone(v) for k, v in saved_state.items()}
        for group, saved in zip(self.optimizer.param_groups, self.groups, strict=True):
            for key in [k for k in group if k != "params" and k not in saved]:
                del group[key]
            for key, value in saved.items():
                current = group.get(key)
                if isinstance(current, torch.Tensor) and isinstance(value, torch.Tensor):
                    current.copy_(value)
                else:
                    group[key] = _clone(value)
        if self.scaler is not None and self.scaler_state is not None:
            self.scaler.load_state_dict(copy.deepcopy(self.scaler_state))

    def restore_rng(self) -> None:
        """Put back the random number generators of torch, numpy and Python."""
        torch.set_rng_state(self.torch_rng)
        if self.cuda_rng is not None:
            torch.cuda.set_rng_state_all(self.cuda_rng)
        np.random.set_state(self.numpy_rng)
        random.setstate(self.python_rng)

    def restore(self) -> None:
        """Put back everything."""
        self.restore_model()
        self.restore_rng()
