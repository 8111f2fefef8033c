"""Every rule, positive and negative, on small scripts; name tracking through import styles."""

import ast
import itertools
import textwrap

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from lrkit.lint import RULES, lint_source


def codes(source: str, **options) -> list[str]:
    return [f.code for f in lint_source(textwrap.dedent(source), "t.py", **options)]


HEADER = """
import torch
from torch.optim import lr_scheduler
model = torch.nn.Linear(4, 1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
"""


def script(body: str) -> str:
    return HEADER + textwrap.dedent(body)


# -- LR001 --------------------------------------------------------------------------------------


def test_lr001_scheduler_before_optimizer_in_the_batch_loop():
    source = script("""
        scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        for epoch in range(3):
            for x, y in loader:
                loss = model(x).sum()
                loss.backward()
                scheduler.step()
                optimizer.step()
    """)
    assert codes(source) == ["LR001"]


def test_lr001_after_the_update_is_clean():
    source = script("""
        scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        for x, y in loader:
            model(x).sum().backward()
            optimizer.step()
            scheduler.step()
    """)
    assert codes(source) == []


def test_lr001_a_loop_that_calls_a_training_function_may_update():
    source = script("""
        scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        for epoch in range(3):
            train(model, optimizer)
            scheduler.step()
    """)
    assert codes(source) == []


def test_lr001_fast_forwarding_a_schedule_on_resume_is_not_flagged():
    source = script("""
        scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        for _ in range(start_epoch):
            scheduler.step()
    """)
    assert codes(source) == []
    assert codes(
        source.replace("scheduler.step()", "scheduler.step()\n    print(scheduler.get_last_lr())")
    ) == ["LR001"]


def test_lr001_scaler_step_counts_as_the_update():
    source = script("""
        scaler = torch.amp.GradScaler()
        scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
        for x in loader:
            scaler.scale(model(x).sum()).backward()
            scheduler.step()
            scaler.step(optimizer)
            scaler.update()
    """)
    assert codes(source) == ["LR001"]


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


# -- LR008 / LR009 -----------------------------------------------------------------------------


def test_lr008_created_after_load():
    after = script("""
        optimizer.load_state_dict(torch.load("ckpt.pt")["optimizer"])
        scheduler = lr_scheduler.StepLR(optimizer, 10)
    """)
    before = script("""
        scheduler = lr_scheduler.StepLR(optimizer, 10)
        optimizer.load_state_dict(torch.load("ckpt.pt")["optimizer"])
    """)
    compat = script("""
        import lrkit.compat
        optimizer.load_state_dict(torch.load("ckpt.pt")["optimizer"])
        scheduler = lrkit.compat.StepLR(optimizer, 10)
    """)
    other = script("""
        other.load_state_dict(torch.load("ckpt.pt")["other"])
        scheduler = lr_scheduler.StepLR(optimizer, 10)
    """)
    assert codes(after) == ["LR008"]
    assert codes(before) == []
    assert codes(compat) == []
    assert codes(other) == []


def test_lr009_checkpoint_without_scheduler():
    missing = script("""
        scheduler = lr_scheduler.StepLR(optimizer, 10)
        torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict()}, "ckpt.pt")
    """)
    assert codes(missing) == ["LR009"]
    assert codes(missing.replace("state_dict()}", 'state_dict(), "sched": scheduler.state_dict()}')) == []
    separate = missing + 'torch.save(scheduler.state_dict(), "sched.pt")\n'
    assert codes(separate) == []
    built = script("""
        scheduler = lr_scheduler.StepLR(optimizer, 10)
        state = {"model": model.state_dict()}
        state["optimizer"] = optimizer.state_dict()
        state.update({"scheduler": scheduler.state_dict()})
        torch.save(state, "ckpt.pt")
    """)
    assert codes(built) == []
    no_scheduler = HEADER + 'torch.save({"optimizer": optimizer.state_dict()}, "ckpt.pt")\n'
    assert codes(no_scheduler) == []


# -- LR010 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("layer", "flagged"),
    [
        ("nn.ReLU()", True),
        ("nn.Dropout(0.1)", True),
        ("nn.MaxPool2d(2)", True),
        ("nn.Sequential(nn.ReLU(), nn.Dropout())", True),
        ("nn.InstanceNorm2d(8)", True),
        ("nn.InstanceNorm2d(8, affine=True)", False),
        ("nn.PReLU()", False),
        ("nn.BatchNorm1d(8)", False),
        ("nn.Linear(8, 8)", False),
    ],
)
def test_lr010_group_of_a_module_without_parameters(layer, flagged):
    source = f"""
        import torch
        from torch import nn
        model = nn.Sequential(nn.Linear(8, 8), {layer}, nn.Linear(8, 2))
        groups = [{{"params": model[0].parameters()}}, {{"params": model[1].parameters(), "lr": 0.1}}]
        optimizer = torch.optim.SGD(groups, lr=0.01)
    """
    assert codes(source) == (["LR010"] if flagged else [])
    # the model's parameter count, from torch: the rule agrees with what torch builds
    namespace: dict[str, object] = {}
    exec(compile(ast.parse(f"import torch\nfrom torch import nn\nm = {layer}"), "<layer>", "exec"), namespace)
    assert (sum(1 for _ in namespace["m"].parameters()) == 0) == flagged  # type: ignore[attr-defined]


def test_lr010_model_defined_elsewhere_is_not_guessed():
    source = """
        import torch
        from models import model
        optimizer = torch.optim.SGD([{"params": model[1].parameters(), "lr": 0.1}])
    """
    assert codes(source) == []


# -- LR011 -------------------------------------------------------------------------------------


def test_lr011_two_schedulers_one_optimizer():
    both = script("""
        warm = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=5)
        cos = lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs - 5)
        for epoch in range(epochs):
            train()
            warm.step()
            cos.step()
    """)
    assert codes(both) == ["LR011"]
    composed = both.replace(
        "for epoch", "seq = lr_scheduler.SequentialLR(optimizer, [warm, cos], milestones=[5])\nfor epoch"
    ).replace("    warm.step()\n    cos.step()", "    seq.step()")
    assert codes(composed) == []
    branches = both.replace(
        "    warm.step()\n    cos.step()",
        "    if epoch < 5:\n        warm.step()\n    else:\n        cos.step()",
    )
    assert codes(branches) == []
    other = both.replace(
        "cos = lr_scheduler.CosineAnnealingLR(optimizer", "cos = lr_scheduler.CosineAnnealingLR(other"
    )
    assert codes(other) == []


# -- names, imports, robustness ----------------------------------------------------------------


@pytest.mark.parametrize(
    "imports_and_construct",
    [
        "import torch\nsched = torch.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "import torch.optim as optim\nsched = optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from torch.optim import lr_scheduler\nsched = lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from torch.optim.lr_scheduler import OneCycleLR\nsched = OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from torch.optim.lr_scheduler import OneCycleLR as OC\nsched = OC(opt, 1.0, total_steps=10_000)",
        "from torch.optim.lr_scheduler import *\nsched = OneCycleLR(opt, 1.0, total_steps=10_000)",
        "from lrkit.compat import OneCycleLR\nsched = OneCycleLR(opt, 1.0, total_steps=10_000)",
        "import lrkit.compat as compat\nsched = compat.OneCycleLR(opt, 1.0, total_steps=10_000)",
        "import torch\ns = torch.optim.lr_scheduler.OneCycleLR(opt, 1.0, total_steps=10_000)\nsched = s",
    ],
)
def test_scheduler_classes_are_tracked_through_imports_and_aliases(imports_and_construct):
    source = imports_and_construct + textwrap.dedent("""
        for epoch in range(10):
            for x in loader:
                opt.step()
            sched.step()
    """)
    assert codes(source) == ["LR002"]


def test_a_class_named_like_a_torch_scheduler_is_not_torchs():
    source = """
        from mylib import OneCycleLR
        sched = OneCycleLR(opt)
        for epoch in range(10):
            for x in loader:
                opt.step()
            sched.step()
    """
    assert codes(source) == []


def test_syntax_error_is_one_finding():
    (finding,) = lint_source("x = (\n", "broken.py")
    assert (finding.code, finding.line, finding.path) == ("LR000", 1, "broken.py")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_findings_or_one_syntax_error_never_a_crash(text):
    try:
        ast.parse(text)
        parses = True
    except (SyntaxError, ValueError):
        parses = False
    found = lint_source(text, "fuzz.py")
    if not parses:
        assert [f.code for f in found] == ["LR000"]
    assert all(f.code in RULES for f in found)
