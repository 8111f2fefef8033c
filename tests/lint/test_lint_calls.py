"""LR005, LR006, LR007 (how scheduler methods are called): lrkit.lint.checks_calls."""

import pytest
from lint_snippets import codes, script

# -- LR005 / LR006 / LR007 ---------------------------------------------------------------------


def test_lr005_plateau_without_metric():
    base = script("""
        scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, patience=2)
        for epoch in range(10):
            train(model)
            scheduler.step(STEP)
    """)
    assert codes(base.replace("STEP", "")) == ["LR005"]
    assert codes(base.replace("STEP", "val_loss")) == []
    assert codes(base.replace("STEP", "metrics=val_loss")) == []


@pytest.mark.parametrize(
    ("construct", "call", "flagged"),
    [
        ("lr_scheduler.StepLR(optimizer, 10)", "scheduler.step(epoch)", True),
        ("lr_scheduler.StepLR(optimizer, 10)", "scheduler.step(epoch=epoch)", True),
        ("lr_scheduler.StepLR(optimizer, 10)", "scheduler.step()", False),
        ("lr_scheduler.ReduceLROnPlateau(optimizer)", "scheduler.step(loss)", False),
        ("lr_scheduler.ReduceLROnPlateau(optimizer)", "scheduler.step(loss, epoch)", True),
        ("lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=10)", "scheduler.step(epoch + 0.5)", False),
        ("make_scheduler(optimizer)", "scheduler.step(epoch)", True),
        ("make_scheduler(optimizer)", "scheduler.step(epoch_loss)", False),
    ],
)
def test_lr006_step_with_epoch(construct, call, flagged):
    source = script(f"""
        scheduler = {construct}
        for epoch in range(10):
            train(model)
            {call}
    """)
    assert codes(source) == (["LR006"] if flagged else [])


@pytest.mark.parametrize(
    ("call", "flagged"), [("scheduler.step(i)", True), ("scheduler.step(samples=n)", False)]
)
def test_lr006_lrkit_scheduler_takes_no_epoch(call, flagged):
    source = script(f"""
        scheduler = lrkit.Scheduler(optimizer, "cosine()", total=1000)
        for i, batch in enumerate(loader):
            optimizer.step()
            {call}
    """)
    assert codes(source) == (["LR006"] if flagged else [])


def test_lr006_unknown_scheduler_in_a_timm_script_is_left_alone():
    source = """
        from timm.scheduler import create_scheduler_v2
        def run(scheduler):
            for epoch in range(10):
                train()
                scheduler.step(epoch)
    """
    assert codes(source) == []


def test_lr007_get_lr():
    source = script("""
        scheduler = lr_scheduler.StepLR(optimizer, 10)
        print(scheduler.get_lr())
        print(scheduler.get_last_lr())
    """)
    assert codes(source) == ["LR007"]


def test_lr007_not_inside_a_scheduler_class():
    source = """
        from torch.optim.lr_scheduler import LRScheduler
        class Warmup(LRScheduler):
            def get_lr(self):
                return [base * 0.5 for base in self.base_lrs]
            def peek(self):
                return self.get_lr()
    """
    assert codes(source) == []


@pytest.mark.parametrize(
    ("construct", "call", "code"),
    [
        ("lr_scheduler.StepLR(optimizer, 10)", "scheduler.step(epoch)", "LR006"),
        ("lr_scheduler.StepLR(optimizer, 10)", "scheduler.step()", "LR006"),
        (
            "lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=10)",
            "scheduler.step(epoch + 0.5)",
            "LR006",
        ),
        ("lr_scheduler.MultiStepLR(optimizer, [1])", "print(scheduler.get_lr())", "LR007"),
        ("lr_scheduler.MultiStepLR(optimizer, [1])", "print(scheduler.get_last_lr())", "LR007"),
        ("lr_scheduler.ReduceLROnPlateau(optimizer)", "scheduler.step()", "LR005"),
        ("lr_scheduler.ReduceLROnPlateau(optimizer)", "scheduler.step(1.0)", "LR005"),
        ("lr_scheduler.ReduceLROnPlateau(optimizer, verbose=True)", "scheduler.step(1.0)", "LR012"),
        ("lr_scheduler.StepLR(optimizer, 10, verbose=False)", "scheduler.step()", "LR012"),
        ("lr_scheduler.StepLR(optimizer, 10)", "scheduler.step()", "LR012"),
    ],
)
def test_flagged_exactly_when_torch_warns_or_raises_on_the_same_snippet(construct, call, code):
    import warnings

    source = script(f"scheduler = {construct}\nfor epoch in range(2):\n    optimizer.step()\n    {call}\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(source, "snippet", "exec"), {"print": lambda *args: None})
            raised = False
        except TypeError:
            raised = True
    messages = " ".join(str(w.message) for w in caught)
    torch_objects = {
        "LR005": raised,
        "LR006": "epoch parameter in `scheduler.step()`" in messages,
        "LR007": "please use `get_last_lr()`" in messages,
        "LR012": raised,
    }[code]
    assert (code in codes(source)) == torch_objects
