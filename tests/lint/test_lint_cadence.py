"""LR002/LR003 (cadence) and LR004 (length): lrkit.lint.checks_cadence."""

import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from lint_snippets import codes, script

# -- LR002 / LR003 -----------------------------------------------------------------------------

ONECYCLE = "scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, epochs=E, steps_per_epoch=len(loader))"


@pytest.mark.parametrize(
    ("construct", "per_epoch_code"),
    [
        (ONECYCLE, "LR002"),
        ("scheduler = lr_scheduler.CyclicLR(optimizer, 0.01, 0.1, step_size_up=2000)", "LR002"),
        ("scheduler = get_linear_schedule_with_warmup(optimizer, 100, len(loader) * E)", "LR002"),
        ("scheduler = lrkit.Scheduler(optimizer, 'cosine()', total=1000)", "LR002"),
        # lrkit's unit="epoch" still counts updates: step() once per batch
        (
            "scheduler = lrkit.Scheduler(optimizer, 'cosine()', total=E, unit='epoch', steps_per_epoch=9)",
            "LR002",
        ),
        ("scheduler = lr_scheduler.StepLR(optimizer, step_size=30)", None),
    ],
)
def test_lr002_per_batch_schedulers_stepped_per_epoch(construct, per_epoch_code):
    per_epoch = script(f"""
        import lrkit
        from transformers import get_linear_schedule_with_warmup
        {construct}
        for epoch in range(E):
            for x in loader:
                optimizer.step()
            scheduler.step()
    """)
    per_batch = per_epoch.replace(
        "        optimizer.step()\n    scheduler.step()", "        optimizer.step()\n        scheduler.step()"
    )
    assert per_batch != per_epoch
    assert codes(per_epoch) == ([per_epoch_code] if per_epoch_code else [])
    assert codes(per_batch) == []


def test_lr002_onecycle_sized_in_epochs_may_step_per_epoch():
    source = script("""
        scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=num_epochs)
        for epoch in range(num_epochs):
            for x in loader:
                optimizer.step()
            scheduler.step()
    """)
    assert codes(source) == []


@pytest.mark.parametrize(
    ("construct", "flagged"),
    [
        ("lr_scheduler.StepLR(optimizer, step_size=num_epochs // 3)", True),
        (
            "lr_scheduler.MultiStepLR(optimizer, milestones=[int(0.5 * num_epochs), int(0.75 * num_epochs)])",
            True,
        ),
        ("lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)", True),
        ("lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs * len(loader))", False),
        ("lr_scheduler.CosineAnnealingLR(optimizer, T_max=total_steps)", False),
        ("lr_scheduler.StepLR(optimizer, step_size=30)", False),
    ],
)
def test_lr003_epoch_sized_schedulers_stepped_per_batch(construct, flagged):
    source = script(f"""
        scheduler = {construct}
        for epoch in range(num_epochs):
            for x in loader:
                optimizer.step()
                scheduler.step()
    """)
    assert codes(source) == (["LR003"] if flagged else [])


@pytest.mark.parametrize(
    ("construct", "flagged"),
    [
        ("lr_scheduler.MultiStepLR(optimizer, milestones=[30, 60])", True),
        ("lr_scheduler.MultiStepLR(optimizer, milestones=[3000, 6000])", False),
        ("lr_scheduler.StepLR(optimizer, step_size=30)", True),
        ("lr_scheduler.StepLR(optimizer, step_size=EPOCHS)", True),
        ("lr_scheduler.StepLR(optimizer, step_size=5000)", False),
    ],
)
def test_lr003_literal_sizes_within_the_epoch_count(construct, flagged):
    source = script(f"""
        EPOCHS = 90
        scheduler = {construct}
        for epoch in range(EPOCHS):
            for x in loader:
                optimizer.step()
                scheduler.step()
    """)
    assert codes(source) == (["LR003"] if flagged else [])


def test_lr003_literal_equal_to_the_epoch_count():
    source = script("""
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=90)
        for epoch in range(90):
            for x in loader:
                optimizer.step()
                scheduler.step()
    """)
    assert codes(source) == ["LR003"]


def test_lr002_lr003_silent_for_full_batch_training():
    source = script("""
        scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=1.0, total_steps=1000)
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=num_epochs)
        for epoch in range(num_epochs):
            model(x).sum().backward()
            optimizer.step()
            scheduler.step()
    """)
    assert "LR002" not in codes(source)
    assert "LR003" not in codes(source)


def test_lr002_per_batch_scheduler_in_an_epoch_hook():
    source = """
        import torch
        class Module:
            def configure_optimizers(self):
                self.opt = torch.optim.SGD(self.parameters(), lr=0.1)
                self.sched = torch.optim.lr_scheduler.OneCycleLR(self.opt, max_lr=1.0, total_steps=10_000)
                return self.opt

            def on_train_epoch_end(self):
                self.sched.step()
    """
    assert codes(source) == ["LR002"]


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ('{"optimizer": opt, "lr_scheduler": sched}', ["LR002"]),
        ('{"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}', []),
        ('{"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "epoch"}}', ["LR002"]),
        ("[opt], [sched]", ["LR002"]),
        ('[opt], [{"scheduler": sched, "interval": "step"}]', []),
        ("opt", []),
    ],
)
def test_lr002_lightning_interval(returned, expected):
    source = f"""
        import torch
        import lightning as L
        class Module(L.LightningModule):
            def configure_optimizers(self):
                opt = torch.optim.AdamW(self.parameters(), lr=1e-3)
                sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=1e-2, total_steps=10_000)
                return {returned}
    """
    assert codes(source) == expected


# -- LR004 -------------------------------------------------------------------------------------


def torch_cosine_rises(t_max: int, steps: int) -> bool:
    """Run torch's CosineAnnealingLR for `steps` steps: does the rate ever go back up?"""
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([param], lr=1.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=t_max)
    rates = [opt.param_groups[0]["lr"]]
    for _ in range(steps):
        opt.step()
        sched.step()
        rates.append(opt.param_groups[0]["lr"])
    return any(b > a + 1e-15 for a, b in itertools.pairwise(rates))


@settings(max_examples=40, deadline=None)
@given(t_max=st.integers(1, 40), epochs=st.integers(1, 60), named=st.booleans())
def test_lr004_flags_exactly_when_torch_restarts_the_cosine(t_max, epochs, named):
    constants = f"T_MAX = {t_max}\nEPOCHS = {epochs}\n" if named else ""
    k, n = ("T_MAX", "EPOCHS") if named else (t_max, epochs)
    source = script(f"""
        {constants.replace(chr(10), chr(10) + "        ")}
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max={k})
        for epoch in range({n}):
            optimizer.step()
            scheduler.step()
    """)
    assert ("LR004" in codes(source)) == torch_cosine_rises(t_max, epochs)


def test_lr004_counts_nested_literal_loops_and_skips_unknown_counts():
    nested = script("""
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=50)
        for epoch in range(10):
            for i in range(10):
                optimizer.step()
                scheduler.step()
    """)
    unknown = nested.replace("range(10):\n    for i in range(10)", "range(epochs):\n    for i in range(n)")
    assert codes(nested) == ["LR004"]
    assert codes(unknown) == []


def test_lr004_not_when_the_step_is_conditional_or_the_loop_breaks():
    conditional = script("""
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
        for step in range(100):
            optimizer.step()
            if step % 10 == 0:
                scheduler.step()
    """)
    breaking = script("""
        scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)
        for step in range(100):
            optimizer.step()
            scheduler.step()
            if step == 4:
                break
    """)
    assert codes(conditional) == []
    assert codes(breaking) == []


@pytest.mark.parametrize(
    ("spec", "total", "flagged"),
    [
        ('"cosine(steps=50)"', None, True),
        ('"cosine(steps=100)"', None, False),
        ('"warmup(cosine(), steps=10)"', "total=80", True),
        ('"warmup(cosine(), steps=10)"', "total=100", False),
        ("lrkit.cosine(steps=STEPS)", None, True),
        ("lrkit.cosine()", None, False),
        ('"cosine()"', None, False),
        # torch's name as an lrkit preset keeps torch's curve, which rises again after T_max
        ('"CosineAnnealingLR(T_max=40)"', None, True),
        ('"CosineAnnealingLR(T_max=100)"', None, False),
    ],
)
def test_lr004_lrkit_schedules_shorter_than_the_loop(spec, total, flagged):
    extra = f", {total}" if total else ""
    source = script(f"""
        import lrkit
        STEPS = 60
        scheduler = lrkit.Scheduler(optimizer, {spec}{extra})
        for step in range(100):
            optimizer.step()
            scheduler.step()
    """)
    assert codes(source) == (["LR004"] if flagged else [])


def test_lrkit_specs_are_parsed_never_evaluated(tmp_path):
    marker = tmp_path / "evaluated"
    source = script(f"""
        import lrkit
        scheduler = lrkit.Scheduler(optimizer, "__import__('pathlib').Path({str(marker)!r}).touch()")
        for step in range(100):
            optimizer.step()
            scheduler.step()
    """)
    assert codes(source) == []
    assert not marker.exists()
