"""find_lr: the sweep, early stops, exact restore, AMP skips, accumulation, cycling, step functions."""

import random

import numpy as np
import pytest
import torch
import torch.nn.functional as F  # noqa: N812
from torch import nn

from lrkit.finder import find_lr


def make_data(n=256, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 8, generator=g)
    w = torch.randn(8, 3, generator=g)
    y = (x @ w).argmax(1)
    return x, y


def batches(x, y, size=32):
    return [(x[i : i + size], y[i : i + size]) for i in range(0, len(x), size)]


def make_model(seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))


def fingerprint(model, optimizer):
    """Everything find_lr must restore, as plain copies."""
    return {
        "params": [p.detach().clone() for p in model.parameters()],
        "grads": [None if p.grad is None else p.grad.clone() for p in model.parameters()],
        "buffers": [b.detach().clone() for b in model.buffers()],
        "modes": [m.training for m in model.modules()],
        "state": {
            i: {k: (v.clone() if torch.is_tensor(v) else v) for k, v in optimizer.state[p].items()}
            for i, p in enumerate(model.parameters())
            if p in optimizer.state
        },
        "groups": [{k: v for k, v in g.items() if k != "params"} for g in optimizer.param_groups],
        "torch_rng": torch.get_rng_state(),
        "numpy_rng": np.random.get_state()[1].copy(),
        "python_rng": random.getstate(),
    }


def assert_same(a, b):
    for x, y in zip(a["params"] + a["buffers"], b["params"] + b["buffers"], strict=True):
        assert x.dtype == y.dtype
        assert torch.equal(x, y)  # bit-identical
    for x, y in zip(a["grads"], b["grads"], strict=True):
        assert (x is None and y is None) or torch.equal(x, y)
    assert a["modes"] == b["modes"]
    assert a["state"].keys() == b["state"].keys()
    for i in a["state"]:
        for k in a["state"][i]:
            va, vb = a["state"][i][k], b["state"][i][k]
            assert torch.equal(va, vb) if torch.is_tensor(va) else va == vb
    assert a["groups"] == b["groups"]
    assert torch.equal(a["torch_rng"], b["torch_rng"])
    assert np.array_equal(a["numpy_rng"], b["numpy_rng"])
    assert a["python_rng"] == b["python_rng"]


def trained_setup(optimizer_cls=torch.optim.AdamW, **kwargs):
    x, y = make_data()
    model = make_model()
    optimizer = optimizer_cls(model.parameters(), lr=1e-3, **kwargs)
    for xb, yb in batches(x, y)[:3]:  # some optimizer state and running statistics to restore
        optimizer.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        optimizer.step()
    model.eval()  # a mode to restore, too
    return model, optimizer, batches(x, y)


@pytest.mark.parametrize("optimizer_cls", [torch.optim.AdamW, torch.optim.SGD])
def test_exact_restore_of_everything(optimizer_cls):
    kwargs = {"momentum": 0.9} if optimizer_cls is torch.optim.SGD else {}
    model, optimizer, loader = trained_setup(optimizer_cls, **kwargs)
    np.random.seed(3)
    random.seed(4)
    before = fingerprint(model, optimizer)
    result = find_lr(
        model, optimizer, F.cross_entropy, loader, start=1e-5, end=10.0, steps=40, progress=False
    )
    assert result.updates >= 10
    assert_same(before, fingerprint(model, optimizer))


def test_tensor_lr_keeps_its_identity():
    model = make_model()
    lr = torch.tensor(0.01)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = make_data()
    find_lr(model, optimizer, F.cross_entropy, batches(x, y), steps=20, progress=False)
    assert optimizer.param_groups[0]["lr"] is lr
    assert lr.item() == pytest.approx(0.01)


def test_a_fit_after_the_test_equals_a_fit_without_it():
    def fit(with_finder):
        x, y = make_data()
        model = make_model(seed=1)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        loader = torch.utils.data.DataLoader(
            torch.utils.data.TensorDataset(x, y), batch_size=32, shuffle=True
        )
        torch.manual_seed(123)
        if with_finder:
            find_lr(model, optimizer, F.cross_entropy, loader, steps=30, progress=False)
        for xb, yb in loader:  # shuffling and dropout draw from the restored RNG
            optimizer.zero_grad()
            F.cross_entropy(model(xb), yb).backward()
            optimizer.step()
        return [p.detach().clone() for p in model.parameters()]

    for a, b in zip(fit(True), fit(False), strict=True):
        assert torch.equal(a, b)


def test_two_runs_give_identical_curves():
    model, optimizer, loader = trained_setup()
    a = find_lr(model, optimizer, F.cross_entropy, loader, steps=30, progress=False)
    b = find_lr(model, optimizer, F.cross_entropy, loader, steps=30, progress=False)
    assert np.array_equal(a.losses, b.losses)
    assert np.array_equal(a.lrs, b.lrs)
    assert a.suggestions == b.suggestions


@pytest.mark.parametrize("mode", ["exponential", "linear"])
def test_the_sweep_follows_its_formula(mode):
    model, optimizer, loader = trained_setup()
    n, start, end = 25, 1e-6, 1e-1
    result = find_lr(
        model,
        optimizer,
        F.cross_entropy,
        loader,
        start=start,
        end=end,
        steps=n,
        mode=mode,
        diverge=None,
        progress=False,
    )
    i = np.arange(n)
    if mode == "exponential":
        expected = start * (end / start) ** (i / (n - 1))
    else:
        expected = start + (end - start) * i / (n - 1)
    np.testing.assert_allclose(result.lrs, expected, rtol=1e-12)
    assert result.lrs[0] == start
    assert result.lrs[-1] == pytest.approx(end, rel=1e-15)
    assert result.stop_reason == "completed"


def test_groups_keep_their_ratios_during_the_sweep():
    model = make_model()
    seen = []

    class Spy(torch.optim.SGD):
        def step(self, closure=None):
            seen.append([g["lr"] for g in self.param_groups])
            return super().step(closure)

    optimizer = Spy(
        [
            {
                "name": "body",
                "params": list(model[0].parameters()) + list(model[1].parameters()),
                "lr": 0.001,
            },
            {"name": "head", "params": list(model[4].parameters()), "lr": 0.01},
        ]
    )
    x, y = make_data()
    result = find_lr(model, optimizer, F.cross_entropy, batches(x, y), steps=10, diverge=None, progress=False)
    assert result.reference == 1
    assert result.ratios == pytest.approx((0.1, 1.0))
    first = len(result.lrs)
    for (body, head), lr in zip(seen[:first], result.lrs, strict=True):
        assert head == lr
        assert body == pytest.approx(0.1 * lr, rel=1e-12)
    # The second sweep (the rates differ): both groups at the one swept rate.
    ((together_lrs, _),) = result.together_curves
    for (body, head), lr in zip(seen[first:], together_lrs, strict=True):
        assert body == head == lr
    assert len(seen) == first + len(together_lrs)
    assert [g["lr"] for g in optimizer.param_groups] == [0.001, 0.01]
    result_lr = result.apply(optimizer, "steepest") if result.suggestions["steepest"].lr else None
    if result_lr is not None:
        assert optimizer.param_groups[1]["lr"] == result_lr
        assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * result_lr)


def test_divergence_stops_the_sweep():
    model, optimizer, loader = trained_setup(torch.optim.SGD)
    result = find_lr(
        model, optimizer, F.cross_entropy, loader, start=1e-3, end=1e6, steps=100, progress=False
    )
    assert result.stop_reason.startswith(("diverged", "non-finite"))
    assert result.updates < 100


def test_non_finite_loss_stops_without_a_point():
    model, optimizer, loader = trained_setup()
    calls = []

    def step(model, batch):
        calls.append(1)
        loss = F.cross_entropy(model(batch[0]), batch[1])
        return loss * float("nan") if len(calls) == 7 else loss

    result = find_lr(model, optimizer, loader=loader, step=step, steps=20, diverge=None, progress=False)
    assert result.updates == 6
    assert result.stop_reason.startswith("non-finite loss (nan)")
    assert np.all(np.isfinite(result.losses))


def test_accumulation_one_point_per_update_and_same_gradients():
    x, y = make_data(n=64)
    counted = []

    class Counting:
        def __init__(self, items):
            self.items = items

        def __iter__(self):
            for item in self.items:
                counted.append(1)
                yield item

    def run(loader, accumulate):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(8, 3))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        return find_lr(
            model,
            optimizer,
            F.cross_entropy,
            loader,
            steps=12,
            accumulate=accumulate,
            diverge=None,
            progress=False,
        )

    small = run(Counting(batches(x, y, 8)), accumulate=4)  # 4 micro-batches of 8 per update
    assert small.updates == 12
    assert len(counted) == 48
    big = run(batches(x, y, 32), accumulate=1)  # the same 32 samples per update in one batch
    np.testing.assert_allclose(small.losses, big.losses, rtol=1e-5)  # same gradients, same path


def test_a_short_loader_is_cycled():
    x, y = make_data(n=96)
    model = make_model()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    result = find_lr(model, optimizer, F.cross_entropy, batches(x, y), steps=20, diverge=None, progress=False)
    assert result.updates == 20  # 3 batches, cycled


def test_amp_skipped_updates_add_no_points():
    model = nn.Sequential(nn.Linear(8, 3))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**8, growth_interval=1000)
    x, y = make_data()
    backward = []
    poisoned = {3, 4, 9}

    def hook(grad):
        backward.append(1)
        return grad * float("inf") if len(backward) in poisoned else grad

    model[0].weight.register_hook(hook)
    scale_before = scaler.get_scale()
    result = find_lr(
        model,
        optimizer,
        F.cross_entropy,
        batches(x, y),
        start=1e-4,
        end=1.0,
        steps=15,
        scaler=scaler,
        diverge=None,
        progress=False,
    )
    assert result.skipped == 3
    assert result.updates == 15
    assert len(backward) == 18
    i = np.arange(15)
    np.testing.assert_allclose(result.lrs, 1e-4 * (1.0 / 1e-4) ** (i / 14), rtol=1e-12)  # no rate lost
    assert scaler.get_scale() == scale_before  # the scaler is restored too


def test_autocast_bfloat16_runs_and_restores_dtypes():
    model, optimizer, loader = trained_setup()
    before = fingerprint(model, optimizer)
    result = find_lr(
        model, optimizer, F.cross_entropy, loader, steps=20, autocast=torch.bfloat16, progress=False
    )
    assert result.updates > 0
    assert_same(before, fingerprint(model, optimizer))


def test_user_step_function_with_dict_batches():
    x, y = make_data(n=64)
    loader = [{"features": x[i : i + 16], "label": y[i : i + 16]} for i in range(0, 64, 16)]
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters())
    result = find_lr(
        model,
        optimizer,
        loader=loader,
        step=lambda m, b: F.cross_entropy(m(b["features"]), b["label"]),
        steps=12,
        progress=False,
    )
    assert result.updates == 12


def test_repeats_report_the_spread():
    model, optimizer, loader = trained_setup()
    result = find_lr(
        model, optimizer, F.cross_entropy, loader, start=1e-5, end=10.0, steps=40, repeats=3, progress=False
    )
    assert len(result.curves) == 3
    assert not np.array_equal(result.curves[0][1], result.curves[1][1])  # other batches, other losses
    for s in result.suggestions.values():
        if s.lr is not None:
            assert s.low <= s.lr <= s.high
            assert "repeats" in s.reason


def test_progress_fallback_without_tqdm(monkeypatch, capsys):
    import builtins

    real_import = builtins.__import__

    def no_tqdm(name, *args, **kwargs):
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    model, optimizer, loader = trained_setup()
    find_lr(model, optimizer, F.cross_entropy, loader, steps=20, diverge=None, progress=True)
    err = capsys.readouterr().err
    assert "lrkit find: 20/20" in err


def test_plot_png_and_svg(tmp_path):
    model, optimizer, loader = trained_setup()
    result = find_lr(
        model, optimizer, F.cross_entropy, loader, start=1e-5, end=10.0, steps=50, progress=False
    )
    result.plot(tmp_path / "curve.png")
    result.plot(tmp_path / "curve.svg")
    assert (tmp_path / "curve.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    svg = (tmp_path / "curve.svg").read_text()
    assert "<svg" in svg
    assert "learning rate" in svg


def test_validation_messages():
    model, optimizer, loader = trained_setup()
    with pytest.raises(
        ValueError, match=r"Argument `start` of find_lr\(\) must be a finite number in \(0, inf\]"
    ):
        find_lr(model, optimizer, F.cross_entropy, loader, start=0.0)
    with pytest.raises(
        ValueError, match=r"Argument `end` of find_lr\(\) must be a finite number in \(0\.1, inf\]"
    ):
        find_lr(model, optimizer, F.cross_entropy, loader, start=0.1, end=0.01)
    with pytest.raises(
        ValueError, match=r"Argument `mode` of find_lr\(\) must be one of 'exponential', 'linear'"
    ):
        find_lr(model, optimizer, F.cross_entropy, loader, mode="cosine")
    with pytest.raises(ValueError, match=r"Argument `diverge` of find_lr\(\)"):
        find_lr(model, optimizer, F.cross_entropy, loader, diverge=1.0)
    with pytest.raises(TypeError, match=r"Argument `loss_fn` of find_lr\(\) must be a callable"):
        find_lr(model, optimizer, None, loader)
    with pytest.raises(ValueError, match=r"yields no batch"):
        find_lr(model, optimizer, F.cross_entropy, [], progress=False)
    with pytest.raises(ValueError, match=r"must be a scalar tensor.*shape \(32,\)"):
        find_lr(
            model, optimizer, lambda o, t: F.cross_entropy(o, t, reduction="none"), loader, progress=False
        )
    with pytest.raises(ValueError, match=r"\(inputs, targets\) pairs.*step="):
        find_lr(model, optimizer, F.cross_entropy, [torch.zeros(2, 8)], progress=False)
    other = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"not parameters of the model.*could not restore"):
        find_lr(model, other, F.cross_entropy, loader, progress=False)


def test_errors_inside_the_sweep_still_restore():
    model, optimizer, loader = trained_setup()
    before = fingerprint(model, optimizer)
    calls = []

    def step(model, batch):
        calls.append(1)
        if len(calls) == 5:
            raise RuntimeError("boom")
        return F.cross_entropy(model(batch[0]), batch[1])

    with pytest.raises(RuntimeError, match="boom"):
        find_lr(model, optimizer, loader=loader, step=step, steps=10, progress=False)
    assert_same(before, fingerprint(model, optimizer))


def test_hand_off_to_a_one_cycle_scheduler():
    from lrkit import Scheduler

    model, optimizer, loader = trained_setup(torch.optim.SGD)
    result = find_lr(
        model, optimizer, F.cross_entropy, loader, start=1e-5, end=10.0, steps=50, progress=False
    )
    assert result.lr is not None
    assert result.apply(optimizer) == result.lr
    assert optimizer.param_groups[0]["lr"] == result.lr
    schedule = result.schedule("one_cycle", steps=20, peak_at=0.25)
    scheduler = Scheduler(optimizer, schedule, total=20)
    rates = []
    for _ in range(20):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert max(rates) == pytest.approx(result.lr, rel=1e-12)  # the suggestion is the one-cycle peak
    assert rates[5] == pytest.approx(result.lr, rel=1e-12)  # at peak_at * steps


def test_importing_the_finder_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, lrkit.finder, lrkit.groups\nassert 'matplotlib' not in sys.modules\n"
    subprocess.run([sys.executable, "-c", code], check=True)
