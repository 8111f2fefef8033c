"""The task's training step: accumulation, bf16 autocast, clipping and a custom step hook, each
checked against a training loop written by hand with plain torch (the reference)."""

import dataclasses

import pytest
import torch

from lrkit import parse
from lrkit.compare import train_run
from lrkit.tasks import Task, load_task, updates_per_epoch

EPOCHS = 2


def user_task(seed=0, **options):
    """A user's task: a small MLP on random data, AdamW, with the given training-step options."""
    torch.manual_seed(1000 + seed)
    x, y = torch.randn(96, 8), torch.randint(0, 3, (96,))
    train = [(x[i : i + 8], y[i : i + 8]) for i in range(0, 96, 8)]  # 12 batches
    val = [(x[:32], y[:32])]
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 3))
    return Task(
        model,
        lambda m: torch.optim.AdamW(m.parameters(), lr=0.05),
        train,
        val,
        torch.nn.functional.cross_entropy,
        name="user",
        **options,
    )


def by_hand(task, accumulate, autocast, clip, schedule_factor):
    """The reference loop: torch only; the rate of update k set to 0.05 * factor(k) by hand."""
    model = task.model
    optimizer = task.make_optimizer()
    losses, norms_clipped = [], []
    update = 0
    for _ in range(EPOCHS):
        batches = iter(task.train)
        for _ in range(len(task.train) // accumulate):
            for group in optimizer.param_groups:
                group["lr"] = 0.05 * schedule_factor(update)
            optimizer.zero_grad()
            total = 0.0
            for _ in range(accumulate):
                x, y = next(batches)
                if autocast is not None:
                    with torch.autocast("cpu", dtype=autocast):
                        loss = torch.nn.functional.cross_entropy(model(x), y)
                else:
                    loss = torch.nn.functional.cross_entropy(model(x), y)
                (loss / accumulate).backward()
                total += float(loss.detach())
            if clip is not None:
                norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
                norms_clipped.append(float(norm) > clip)
            optimizer.step()
            losses.append(total / accumulate)
            update += 1
    return losses, [p.detach().clone() for p in model.parameters()], norms_clipped


@pytest.mark.parametrize(
    ("accumulate", "autocast", "clip"),
    [(1, None, None), (3, None, None), (1, torch.bfloat16, None), (1, None, 0.05), (4, torch.bfloat16, 0.05)],
)
def test_lrkit_step_equals_the_hand_written_loop(accumulate, autocast, clip):
    spec = "warmup(cosine(), steps=0.25)"
    task = user_task(accumulate=accumulate, autocast=autocast, clip=clip)
    spe = updates_per_epoch(task)
    assert spe == 12 // accumulate
    run = train_run(task, parse(spec), seed=0, epochs=EPOCHS, steps_per_epoch=spe)
    assert len(run.lr) == EPOCHS * spe  # one scheduled rate per update, not per micro-batch
    # The rates' values are checked against the schedule in tests/compare/test_race.py; here the
    # hand-written loop applies the same rates and must give the same losses and weights.
    reference = user_task()
    losses, params, clipped = by_hand(reference, accumulate, autocast, clip, lambda k: run.lr[k][0] / 0.05)
    assert run.train_loss == losses  # exactly: same ops in the same order
    for got, expected in zip(task.model.parameters(), params, strict=True):
        assert torch.equal(got, expected)
    if clip is not None:
        assert any(clipped)  # the clip did bite: the test would see a missing clip


def test_autocast_really_runs_in_bf16():
    seen = []
    task = user_task(autocast=torch.bfloat16)
    task.model[0].register_forward_hook(lambda module, args, out: seen.append(out.dtype))
    train_run(task, parse("constant()"), seed=0, epochs=1, steps_per_epoch=12)
    assert set(seen) == {torch.bfloat16}


def test_a_custom_step_hook_replaces_the_update():
    calls = []

    def step(model, batch, optimizer):
        x, y = batch
        optimizer.zero_grad()
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        calls.append(optimizer.param_groups[0]["lr"])
        return loss

    hooked = user_task(step=step)
    plain = user_task()
    a = train_run(hooked, parse("cosine()"), seed=0, epochs=EPOCHS, steps_per_epoch=12)
    b = train_run(plain, parse("cosine()"), seed=0, epochs=EPOCHS, steps_per_epoch=12)
    assert a.train_loss == b.train_loss
    assert calls == [rates[0] for rates in a.lr]  # the hook saw the scheduled rate


@pytest.mark.parametrize(
    ("options", "error", "message"),
    [
        ({"accumulate": 0}, ValueError, r"Argument `accumulate` of Task\(\) must be an int >= 1"),
        ({"clip": -1.0}, ValueError, r"Argument `clip` of Task\(\)"),
        ({"autocast": torch.float64}, ValueError, r"Argument `autocast` of Task\(\)"),
        ({"step": 3}, TypeError, r"Argument `step` of Task\(\) must be a callable"),
        ({"step": lambda m, b, o: 0.0, "clip": 1.0}, ValueError, "without accumulate= or clip="),
        ({"epochs": 0}, ValueError, r"Argument `epochs` of Task\(\) must be an int >= 1"),
    ],
)
def test_bad_options_fail_at_construction(options, error, message):
    with pytest.raises(error, match=message):
        user_task(**options)


def test_accumulation_longer_than_the_loader_is_a_task_error():
    from lrkit.tasks import TaskError

    task = dataclasses.replace(load_task("digits"), accumulate=100)
    with pytest.raises(TaskError, match="fewer than the 100 that one update accumulates"):
        updates_per_epoch(task)
