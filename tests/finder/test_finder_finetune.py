"""find_lr on a real fine-tuning task with differential rates (issue: the suggestion was decades low).

A small MLP pretrained on digits 0-4 (scikit-learn's digits) gets a new 10-way head; the body trains
at a tenth of the head's rate. The reference is the best head rate of a grid trained here (9 rates
half a decade apart from 1e-3 to 10, 3 epochs each; every rate below 1e-3 is far worse on this
task). Before the two-sweep rule (`lrkit.finder._groups`) the suggestion for SGD with momentum was
0.94 decades below the grid's best here (0.036 against 0.316; now 0.145, 0.34 decades);
bench/find_quality.py --groups measures it over seeds and optimizers.
"""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from lrkit.finder import find_lr

datasets = pytest.importorskip(
    "sklearn.datasets", reason="scikit-learn is not installed (pip install -e '.[test]')"
)


def _data():
    digits = datasets.load_digits()
    x = torch.from_numpy(digits.data.astype(np.float32) / 16.0)
    y = torch.from_numpy(digits.target.astype(np.int64))
    g = torch.Generator().manual_seed(0)
    order = torch.randperm(len(x), generator=g)
    train, val = order[:1400], order[1400:]
    return x[train], y[train], x[val], y[val]


def _batches(x, y, seed):
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(x), generator=g)
    return [(x[order[i : i + 32]], y[order[i : i + 32]]) for i in range(0, len(x), 32)]


def _pretrained(xt, yt):
    torch.manual_seed(100)
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 5))
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    keep = yt < 5
    for epoch in range(3):
        for xb, yb in _batches(xt[keep], yt[keep], epoch):
            opt.zero_grad()
            F.cross_entropy(net(xb), yb).backward()
            opt.step()
    torch.manual_seed(0)
    net[2] = nn.Linear(128, 10)
    return net


def _optimizer(net, head_lr):
    groups = [
        {"params": net[0].parameters(), "lr": head_lr / 10},
        {"params": net[2].parameters(), "lr": head_lr},
    ]
    return torch.optim.SGD(groups, lr=head_lr, momentum=0.9)


def _accuracy(base, head_lr, data):
    xt, yt, xv, yv = data
    net = _fresh(base)
    opt = _optimizer(net, head_lr)
    for epoch in range(3):
        for xb, yb in _batches(xt, yt, 10 + epoch):
            opt.zero_grad()
            loss = F.cross_entropy(net(xb), yb)
            if not torch.isfinite(loss):
                return 0.0
            loss.backward()
            opt.step()
    with torch.no_grad():
        return float((net(xv).argmax(1) == yv).float().mean())


def _fresh(base):
    net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    net.load_state_dict(base.state_dict())
    return net


@pytest.mark.slow
def test_differential_rates_suggest_near_the_grids_best_head_rate():
    data = _data()
    base = _pretrained(data[0], data[1])
    grid = np.geomspace(1e-3, 10.0, 9)
    best = float(grid[int(np.argmax([_accuracy(base, lr, data) for lr in grid]))])
    net = _fresh(base)
    result = find_lr(
        net,
        _optimizer(net, 1e-3),
        F.cross_entropy,
        _batches(data[0], data[1], 5) * 4,
        start=1e-6,
        end=10.0,
        steps=100,
        progress=False,
    )
    assert result.together is not None
    assert abs(math.log10(result.lr / best)) <= 0.5, (result.lr, best)  # before the rule: 0.94
