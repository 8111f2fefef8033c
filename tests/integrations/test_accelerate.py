"""accelerate's prepare(): the lrkit schedule advances once per real optimizer update.

In one process: gradient accumulation through ``accelerator.accumulate``. In a real 2-process gloo
group (accelerate's MULTI_CPU): the wrapper's default steps the scheduler twice per update (shown,
so the test can tell), `once_per_update` makes it once, and a schedule in samples stepped with the
per-process batch stays right.
"""

import os
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("accelerate")

from accelerate import Accelerator
from accelerate.state import AcceleratorState, GradientState

from lrkit import Scheduler, cosine, linear
from lrkit.distributed import run_totals
from lrkit.integrations.accelerate import once_per_update

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "distributed"))
from dist_helpers import spawn

SAMPLES, BATCH = 24, 4


def reset():
    AcceleratorState._reset_state(True)
    GradientState._reset_state()


@pytest.fixture(autouse=True)
def fresh_state():
    reset()
    yield
    reset()


def data(n=SAMPLES):
    gen = torch.Generator().manual_seed(0)
    return torch.utils.data.TensorDataset(torch.randn(n, 2, generator=gen), torch.randn(n, 1, generator=gen))


def train(accelerator, schedule_for, epochs, wrap=None, step=lambda s, x: s.step()):
    """Train with prepare(model, opt, loader, sched); the lr of each real update, and the scheduler."""
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loader = torch.utils.data.DataLoader(data(), batch_size=BATCH)
    model, opt, loader = accelerator.prepare(model, opt, loader)
    sched = accelerator.prepare(schedule_for(opt))
    if wrap is not None:
        sched = wrap(sched)
    used = []
    real = opt.optimizer.register_step_post_hook(lambda *a: used.append(opt.param_groups[0]["lr"]))
    for _ in range(epochs):
        for x, y in loader:
            with accelerator.accumulate(model):
                accelerator.backward(torch.nn.functional.mse_loss(model(x), y))
                opt.step()
                step(sched, x)
                opt.zero_grad()
    real.remove()
    return used, sched.scheduler


def test_accumulation_in_one_process(torch_lrs):
    accelerator = Accelerator(cpu=True, gradient_accumulation_steps=4)
    epochs = 2
    # 6 batches per epoch, windows of 4: 2 updates per epoch (accelerate flushes at the loader's end).
    total = run_totals(SAMPLES, BATCH, accumulation=4, epochs=epochs).updates
    used, sched = train(accelerator, lambda o: Scheduler(o, cosine(), total=total), epochs)
    assert len(used) == total == 4
    assert sched.updates == total
    rates = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total), [0.1], total)
    assert used == pytest.approx(rates[:, 0], rel=1e-12, abs=1e-15)


def test_once_per_update_refuses_other_objects():
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(TypeError, match=r"Argument `prepared` of once_per_update\(\)"):
        once_per_update(Scheduler(opt, cosine(), total=3))
    accelerator = Accelerator(cpu=True)
    prepared = accelerator.prepare(torch.optim.lr_scheduler.StepLR(opt, 1))
    with pytest.raises(TypeError, match="it wraps a StepLR"):
        once_per_update(prepared)


def _worker(rank, world):
    os.environ.update(
        RANK=str(rank),
        WORLD_SIZE=str(world),
        LOCAL_RANK=str(rank),
        LOCAL_WORLD_SIZE=str(world),
        MASTER_ADDR="127.0.0.1",
        OMP_NUM_THREADS="1",
    )
    out = {}
    updates = SAMPLES // (BATCH * world)  # per epoch: 3 batches of 4 on each of 2 processes
    variants = {
        "default": ({}, None, lambda s, x: s.step()),
        "once": ({}, once_per_update, lambda s, x: s.step()),
        "samples": ({"unit": "sample"}, None, lambda s, x: s.step(samples=len(x))),
    }
    for name, (kwargs, wrap, step) in variants.items():
        reset()
        accelerator = Accelerator(cpu=True)
        assert accelerator.num_processes == world
        unit_total = 2 * (SAMPLES if kwargs else updates)

        def make(o, kwargs=kwargs, unit_total=unit_total):
            return Scheduler(o, linear(1.0, 0.0), total=unit_total, after_end="continue", **kwargs)

        used, sched = train(accelerator, make, 2, wrap=wrap, step=step)
        out[name] = {"used": used, "updates": sched.updates, "position": sched.position}
    return out


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    results = spawn(_worker, 2, tmp_path_factory.mktemp("accelerate"), timeout=90.0)
    assert results[0] == results[1]  # both ranks, bit for bit
    return results[0]


def test_default_wrapper_steps_once_per_process(two):
    # The trap this integration exists for: 6 real updates, 12 counted.
    assert len(two["default"]["used"]) == 6
    assert two["default"]["updates"] == 12


def test_once_per_update_counts_real_updates(two):
    once = two["once"]
    assert once["updates"] == len(once["used"]) == 6
    # linear(1, 0) over 6 updates, written out: update i uses 0.1 * (1 - i / 6).
    assert once["used"] == pytest.approx([0.1 * (1 - i / 6) for i in range(6)], rel=1e-12, abs=1e-15)


def test_samples_stepped_per_process_add_up_to_the_global_batch(two):
    samples = two["samples"]
    assert samples["position"] == 2 * SAMPLES
    # Each real update uses the rate at the global samples before it: 8 per update.
    expected = [0.1 * (1 - 8 * i / (2 * SAMPLES)) for i in range(6)]
    assert samples["used"] == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert samples["updates"] == 12  # counts calls, as documented


def test_save_state_and_load_state_resume_exactly(tmp_path):
    def run(updates, load=None):
        reset()
        accelerator = Accelerator(cpu=True)
        model = torch.nn.Linear(2, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        model, opt = accelerator.prepare(model, opt)
        sched = once_per_update(accelerator.prepare(Scheduler(opt, cosine(end=0.1), total=10)))
        if load is not None:
            accelerator.load_state(load)
        used = []
        for _ in range(updates):
            used.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return accelerator, used

    _, whole = run(10)
    accelerator, first = run(4)
    accelerator.save_state(tmp_path / "state")
    _, rest = run(6, load=tmp_path / "state")
    assert first + rest == whole  # bit for bit
