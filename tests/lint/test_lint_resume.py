"""LR008 and LR009 (resume and checkpoints): lrkit.lint.checks_resume."""

import pytest
from lint_snippets import HEADER, codes, script

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


SAVED_RUN = """
import torch
from torch.optim.lr_scheduler import LambdaLR
warm = lambda step: min(1.0, (step + 1) / 10)
param = torch.nn.Parameter(torch.zeros(1))
first = torch.optim.SGD([param], lr=0.1)
first_sched = LambdaLR(first, warm)
for _ in range(4):
    first.step()
    first_sched.step()
saved, restored_lr = first.state_dict(), first.param_groups[0]["lr"]
optimizer = torch.optim.SGD([param], lr=0.1)
"""


@pytest.mark.parametrize(
    "resume",
    [
        "optimizer.load_state_dict(saved)\nscheduler = LambdaLR(optimizer, warm)\n",
        "scheduler = LambdaLR(optimizer, warm)\noptimizer.load_state_dict(saved)\n",
    ],
)
def test_lr008_flags_exactly_the_order_where_torch_loses_the_restored_rate(resume):
    namespace: dict[str, object] = {}
    exec(compile(SAVED_RUN + resume, "snippet", "exec"), namespace)
    optimizer = namespace["optimizer"]
    lost = optimizer.param_groups[0]["lr"] != namespace["restored_lr"]  # type: ignore[attr-defined]
    assert ("LR008" in codes(SAVED_RUN + resume)) == lost
