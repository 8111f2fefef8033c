"""LR001 (step order) and LR011 (two schedulers on one optimizer): lrkit.lint.checks_order."""

import pytest
from lint_snippets import codes, script

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


# -- LR011 -------------------------------------------------------------------------------------


def test_lr011_two_schedulers_one_optimizer():
    both = script("""
        warm = lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 5))
        cos = lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
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
    chainable = both.replace(
        "lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 5))",
        "lr_scheduler.LinearLR(optimizer, start_factor=0.2, total_iters=5)",
    )
    assert codes(chainable) == []


def _side_by_side(makers, steps=30):
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    schedulers = [make(optimizer) for make in makers]
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        for scheduler in schedulers:
            scheduler.step()
    return rates


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("LinearLR", "CosineAnnealingLR"),
        ("LinearLR", "ExponentialLR"),
        ("StepLR", "MultiStepLR"),
        ("LambdaLR", "CosineAnnealingLR"),
        ("CosineAnnealingLR", "LambdaLR"),
        ("OneCycleLR", "StepLR"),
        ("ReduceLROnPlateau", "ExponentialLR"),
    ],
)
def test_lr011_fires_exactly_where_torch_does_not_compose(first, second):
    # Stepped side by side, chainable schedulers multiply (what ChainedScheduler does); a
    # closed-form one writes base_lr * f(t) and erases the other's effect.
    import torch

    L = torch.optim.lr_scheduler
    makers = {
        "LinearLR": (lambda o: L.LinearLR(o, 0.1, total_iters=5), "LinearLR(optimizer, 0.1, total_iters=5)"),
        "CosineAnnealingLR": (lambda o: L.CosineAnnealingLR(o, 30), "CosineAnnealingLR(optimizer, 30)"),
        "ExponentialLR": (lambda o: L.ExponentialLR(o, 0.9), "ExponentialLR(optimizer, 0.9)"),
        "StepLR": (lambda o: L.StepLR(o, 5), "StepLR(optimizer, 5)"),
        "MultiStepLR": (lambda o: L.MultiStepLR(o, [10, 20]), "MultiStepLR(optimizer, [10, 20])"),
        "LambdaLR": (lambda o: L.LambdaLR(o, lambda s: min(1, (s + 1) / 5)), "LambdaLR(optimizer, f)"),
        "OneCycleLR": (
            lambda o: L.OneCycleLR(o, 1.0, total_steps=40),
            "OneCycleLR(optimizer, 1.0, total_steps=40)",
        ),
        "ReduceLROnPlateau": (None, "ReduceLROnPlateau(optimizer)"),
    }
    if first == "ReduceLROnPlateau":
        composes = True  # a plateau cut scales the current rate, which the chainable one then scales on
    else:
        pair = [makers[first][0], makers[second][0]]
        together = _side_by_side(pair)
        product = [a * b for a, b in zip(_side_by_side(pair[:1]), _side_by_side(pair[1:]), strict=True)]
        composes = max(abs(x - y) / y for x, y in zip(together, product, strict=True)) < 1e-9
    source = script(f"""
        a = lr_scheduler.{makers[first][1]}
        b = lr_scheduler.{makers[second][1]}
        for epoch in range(epochs):
            train()
            a.step()
            b.step()
    """)
    assert ("LR011" in codes(source)) == (not composes)


def test_lr001_in_a_manual_optimization_training_step():
    source = """
        import lightning as L
        class Module(L.LightningModule):
            def training_step(self, batch, batch_idx):
                opt = self.optimizers()
                sch = self.lr_schedulers()
                loss = self.compute(batch)
                opt.zero_grad()
                self.manual_backward(loss)
                sch.step()
                opt.step()
    """
    assert codes(source) == ["LR001"]
    assert (
        codes(
            source.replace("sch.step()\n                opt.step()", "opt.step()\n                sch.step()")
        )
        == []
    )


@pytest.mark.parametrize(
    "body",
    [
        "for epoch in range(3):\n    scheduler.step()\n    for x in loader:\n        optimizer.step()\n",
        "for epoch in range(3):\n    for x in loader:\n        optimizer.step()\n    scheduler.step()\n",
        "for x in loader:\n    optimizer.step()\n    scheduler.step()\n",
        "for x in loader:\n    scheduler.step()\n    optimizer.step()\n",
        "for epoch in range(3):\n    scheduler.step()\n    print(optimizer.param_groups[0]['lr'])\n",
    ],
)
def test_lr001_agrees_with_torchs_own_order_warning(body):
    import warnings

    source = script("scheduler = lr_scheduler.StepLR(optimizer, step_size=1)\nloader = [0, 1]\n" + body)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(source, "snippet", "exec"), {"print": lambda *args: None})
    torch_warns = any("before `optimizer.step()`" in str(w.message) for w in caught)
    assert ("LR001" in codes(source)) == torch_warns


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ("[opt], [warm, cos]", []),  # chainable: Lightning steps both, they compose
        ("[opt], [lam, cos]", ["LR011"]),
        ("[opt], [seq]", []),
        ("[opt, other], [warm, other_sched]", []),
    ],
)
def test_lr011_two_schedulers_returned_to_lightning(returned, expected):
    source = f"""
        import torch
        from torch.optim.lr_scheduler import CosineAnnealingLR, LambdaLR, LinearLR, SequentialLR
        class Module:
            def configure_optimizers(self):
                opt = torch.optim.AdamW(self.parameters(), lr=1e-3)
                other = torch.optim.SGD(self.head.parameters(), lr=1e-2)
                warm = LinearLR(opt, start_factor=0.1, total_iters=5)
                lam = LambdaLR(opt, lambda s: min(1.0, (s + 1) / 5))
                cos = CosineAnnealingLR(opt, T_max=95)
                other_sched = CosineAnnealingLR(other, T_max=100)
                seq = SequentialLR(opt, [warm, cos], milestones=[5])
                return {returned}
    """
    assert codes(source) == expected


def test_lr011_cosine_with_a_floor_and_swalr_do_not_compose():
    # A cosine with eta_min > 0 steps affinely, SWALR re-derives its start from the current rate:
    # side by side with another scheduler neither is a product (compat's notes, torch 2.13).
    import torch

    L = torch.optim.lr_scheduler
    together = _side_by_side(
        [lambda o: L.LinearLR(o, 0.1, total_iters=5), lambda o: L.CosineAnnealingLR(o, 30, 0.1)]
    )
    alone = [
        a * b
        for a, b in zip(
            _side_by_side([lambda o: L.LinearLR(o, 0.1, total_iters=5)]),
            _side_by_side([lambda o: L.CosineAnnealingLR(o, 30, 0.1)]),
            strict=True,
        )
    ]
    assert max(abs(x - y) / y for x, y in zip(together, alone, strict=True)) > 1e-3
    for second in (
        "CosineAnnealingLR(optimizer, T_max=epochs, eta_min=1e-5)",
        "SWALR(optimizer, swa_lr=0.05)",
    ):
        source = script(f"""
            a = lr_scheduler.LinearLR(optimizer, 0.1, total_iters=5)
            b = lr_scheduler.{second}
            for epoch in range(epochs):
                train()
                a.step()
                b.step()
        """)
        assert codes(source) == ["LR011"]
