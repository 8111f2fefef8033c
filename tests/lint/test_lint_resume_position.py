"""A scheduler put back at its position without its state (``last_epoch=``, ``sched.last_epoch =
...``, a project scheduler told the epoch at every step) resumes exactly: no LR008 nor LR009.

Self-written reproductions of patterns seen in real scripts (a GAN vocoder that rebuilds its
ExponentialLR with ``last_epoch=``, a detector that sets ``scheduler.last_epoch`` after resuming,
a segmentation trainer whose own Poly scheduler is stepped with ``step(epoch=...)``); torch itself
is the reference for "exact".
"""

import textwrap
import warnings

import pytest
import torch

from lrkit.lint import lint_paths, lint_source


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_source(textwrap.dedent(source))]


def _rates(cls, kwargs, resume_at=None, by_attribute=False):
    """The rate of each of 8 epochs; resuming at `resume_at` from the optimizer's state alone."""
    model = torch.nn.Linear(1, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = cls(optimizer, **kwargs)
    rates = []
    for epoch in range(8):
        if epoch == resume_at:
            state = optimizer.state_dict()
            optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
            optimizer.load_state_dict(state)
            if by_attribute:  # built first, then the optimizer's state, then the position
                optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
                scheduler = cls(optimizer, **kwargs)
                optimizer.load_state_dict(state)
                scheduler.last_epoch = epoch - 1
            else:
                scheduler = cls(optimizer, last_epoch=epoch - 1, **kwargs)
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(
    ("cls", "kwargs"),
    [
        (torch.optim.lr_scheduler.ExponentialLR, {"gamma": 0.5}),
        (torch.optim.lr_scheduler.CosineAnnealingLR, {"T_max": 8}),
        (torch.optim.lr_scheduler.StepLR, {"step_size": 3}),
        (torch.optim.lr_scheduler.LambdaLR, {"lr_lambda": lambda e: 0.9**e}),
    ],
)
def test_torch_resumes_exactly_from_last_epoch_after_the_optimizer_load(cls, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert _rates(cls, kwargs, resume_at=5) == pytest.approx(_rates(cls, kwargs))


def test_torch_lambda_does_not_restart_from_the_last_epoch_attribute():
    # ``scheduler.last_epoch = start_epoch - 1`` (set after the optimizer's load) keeps the
    # restored rate and continues from it; unlike the constructor's last_epoch=, it takes no
    # step, so the resumed run repeats one epoch's rate (one epoch late), but never restarts.
    kwargs = {"lr_lambda": lambda e: 1 - e / 8}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        resumed = _rates(torch.optim.lr_scheduler.LambdaLR, kwargs, 5, by_attribute=True)
        straight = _rates(torch.optim.lr_scheduler.LambdaLR, kwargs)
    assert resumed[:6] == pytest.approx(straight[:6])
    assert resumed[6:] == pytest.approx(straight[5:7])


def test_exponential_rebuilt_with_last_epoch_after_the_optimizer_load():
    source = """
        import torch
        last_epoch = -1
        if checkpoint is not None:
            state = torch.load(checkpoint)
            optim_g.load_state_dict(state["optim_g"])
            last_epoch = state["epoch"]
        scheduler_g = torch.optim.lr_scheduler.ExponentialLR(optim_g, gamma=0.999, last_epoch=last_epoch)
        for epoch in range(max(0, last_epoch), epochs):
            for batch in loader:
                optim_g.step()
            scheduler_g.step()
            torch.save({"optim_g": optim_g.state_dict(), "epoch": epoch}, "do.pt")
    """
    assert codes(source) == []
    # The same without last_epoch= starts the decay over: LR008 and LR009.
    restarted = source.replace(", last_epoch=last_epoch)", ")")
    assert [code for _, code in codes(restarted)] == ["LR008", "LR009"]


def test_last_epoch_set_after_the_resume_keeps_the_checkpoint_exact():
    source = """
        import torch
        from torch.optim import lr_scheduler
        scheduler = lr_scheduler.LambdaLR(optimizer, lr_lambda=lambda x: 1 - x / epochs)
        start_epoch = 0
        if pretrained:
            optimizer.load_state_dict(ckpt["optimizer"])
            start_epoch = ckpt["epoch"] + 1
        scheduler.last_epoch = start_epoch - 1
        for epoch in range(start_epoch, epochs):
            for imgs, targets in dataloader:
                optimizer.step()
            scheduler.step()
            ckpt = {"epoch": epoch, "optimizer": optimizer.state_dict()}
            torch.save(ckpt, "last.pt")
    """
    assert codes(source) == []
    assert codes(source.replace("        scheduler.last_epoch = start_epoch - 1\n", "")) == [(14, "LR009")]


def test_saving_the_model_object_is_not_a_checkpoint_of_what_built_it():
    source = """
        import torch
        ckpt = torch.load(weights)
        model = Model(ckpt["model"].yaml)
        scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 30)
        torch.save(model, "init.pt")
        state = {"model": model, "optimizer": optimizer.state_dict()}
    """
    assert codes(source) == []


def test_a_project_scheduler_told_the_epoch_at_every_step(tmp_path):
    (tmp_path / "lr_scheduler.py").write_text(
        textwrap.dedent(
            """
            from torch.optim.lr_scheduler import _LRScheduler

            class Poly(_LRScheduler):
                def __init__(self, optimizer, num_epochs, iters_per_epoch):
                    self.iters_per_epoch, self.cur_iter = iters_per_epoch, 0
                    self.N = num_epochs * iters_per_epoch
                    super().__init__(optimizer)

                def get_lr(self):
                    t = self.last_epoch * self.iters_per_epoch + self.cur_iter
                    self.cur_iter = self.cur_iter % self.iters_per_epoch + 1
                    return [lr * (1 - t / self.N) ** 0.9 for lr in self.base_lrs]
            """
        )
    )
    (tmp_path / "train.py").write_text(
        textwrap.dedent(
            """
            import torch
            import lr_scheduler

            scheduler = getattr(lr_scheduler, config["type"])(optimizer, epochs, len(loader))
            for epoch in range(1, epochs + 1):
                for data, target in loader:
                    scheduler.step(epoch=epoch - 1)
                    optimizer.zero_grad()
                    loss_fn(model(data), target).backward()
                    optimizer.step()
                torch.save({"optimizer": optimizer.state_dict(), "epoch": epoch}, "ckpt.pth")
            """
        )
    )
    assert [(f.line, f.code) for f in lint_paths([tmp_path])] == []


def test_a_plateau_given_its_metric_is_not_positioned():
    source = """
        import torch
        scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min")
        for epoch in range(epochs):
            for x, y in loader:
                optimizer.step()
            scheduler.step(avg_val_loss)
            torch.save({"optimizer": optimizer.state_dict(), "epoch": epoch}, "ckpt.pth")
    """
    assert codes(source) == [(8, "LR009")]


def test_a_project_warmup_wrapper_passing_the_epoch_to_the_scheduler_it_wraps():
    # The tree defines a scheduler class, but what it steps with the epoch is the torch scheduler
    # it was given: that is still the deprecated form.
    source = """
        from torch.optim.lr_scheduler import _LRScheduler

        class GradualWarmupScheduler(_LRScheduler):
            def __init__(self, optimizer, total_epoch, after_scheduler):
                self.total_epoch, self.after_scheduler = total_epoch, after_scheduler
                super().__init__(optimizer)

            def step(self, epoch=None):
                if epoch is not None and epoch > self.total_epoch:
                    self.after_scheduler.step(epoch - self.total_epoch)
                else:
                    super().step(epoch)
    """
    assert codes(source) == [(11, "LR006")]
