"""The code snippets of the seed documents: faulty ones flagged with the right rule, correct ones clean.

The snippets are copied from the seed pages (practice questions about torch's schedulers); line
breaks were restored where a page had flattened the code.
"""

import textwrap

import pytest

from lrkit.lint import lint_source


def codes(source: str) -> list[str]:
    return [finding.code for finding in lint_source(textwrap.dedent(source), "seed.py")]


# -- seed 000 (torch schedulers practice page) ------------------------------------------------------

STEPLR_THREE_EPOCHS = """
import torch
import torch.optim as optim

model_params = [torch.nn.Parameter(torch.randn(2, 2, requires_grad=True))]
optimizer = optim.SGD(model_params, lr=0.1)
scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

for epoch in range(3):
    optimizer.step()
    scheduler.step()
    lr = optimizer.param_groups[0]['lr']
print(f"Learning rate after 3 epochs: {lr}")
"""

COSINE_TMAX_5_OVER_10 = """
import torch
import torch.optim as optim

params = [torch.nn.Parameter(torch.randn(1, requires_grad=True))]
optimizer = optim.SGD(params, lr=0.1)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5)

for epoch in range(10):
    optimizer.step()
    scheduler.step()
    print(f"Epoch {epoch+1}: lr = {optimizer.param_groups[0]['lr']}")
"""

# The fix the page gives (answer D): T_max should be 10.
COSINE_TMAX_10_OVER_10 = COSINE_TMAX_5_OVER_10.replace("T_max=5", "T_max=10")

EXPONENTIAL_STEP_WITHOUT_OPTIMIZER = """
import torch
opt = torch.optim.Adam([torch.nn.Parameter(torch.randn(3, 3, requires_grad=True))], lr=0.01)
scheduler = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)

for epoch in range(5):
    scheduler.step()
    print(f"Epoch {epoch}: lr = {opt.param_groups[0]['lr']}")
"""

# The fix the page gives (answer B): optimizer.step() first.
EXPONENTIAL_FIXED = """
import torch
opt = torch.optim.Adam([torch.nn.Parameter(torch.randn(3, 3, requires_grad=True))], lr=0.01)
scheduler = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=0.9)

for epoch in range(5):
    opt.step()
    scheduler.step()
    print(f"Epoch {epoch}: lr = {opt.param_groups[0]['lr']}")
"""

STEPLR_CORRECT_CONSTRUCTOR = """
import torch
scheduler = torch.optim.lr_scheduler.StepLR(opt, step_size=10, gamma=0.1)
"""

# -- seed 001 (why schedulers) ----------------------------------------------------------------------

MANUAL_RATE = """
for epoch in range(epochs):
    if epoch == 10:
        learning_rate = 0.001
    train(model, data, learning_rate)
"""

STEPLR_WITH_TRAIN = """
import torch
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=10, gamma=0.1)
for epoch in range(epochs):
    train(model, data)
    scheduler.step()
"""

# -- seed 002 (convergence): question 4 ------------------------------------------------------------
# The page claims this loop is wrong and that scheduler.step() belongs before optimizer.step();
# that answer is itself wrong (torch >= 1.1 wants optimizer.step() first, and warns otherwise), so
# the snippet is correct code and must stay clean.

STEPLR_ORDER_CORRECT = """
import torch
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
for epoch in range(4):
    optimizer.zero_grad()
    output = model(input)
    loss = loss_fn(output, target)
    loss.backward()
    optimizer.step()
    scheduler.step()
    print(f"Epoch {epoch+1} lr: {scheduler.get_last_lr()[0]:.4f}")
"""

# ...and the order the page recommends is the mistake LR001 is about.
STEPLR_ORDER_AS_THE_PAGE_RECOMMENDS = STEPLR_ORDER_CORRECT.replace(
    "    optimizer.step()\n    scheduler.step()\n", "    scheduler.step()\n    optimizer.step()\n"
)

# -- seed 003 (interview page): the "standard usage" loop ------------------------------------------
# It steps a cosine with eta_min > 0 and a plateau scheduler on the same optimizer every epoch: the
# cosine's step is affine (eta_min + (lr - eta_min) * ratio), so the two do not compose as a product
# and the result depends on their order (LR011). It passes verbose=True to ReduceLROnPlateau, which
# torch 2.13 rejects (LR012).

INTERVIEW_STANDARD_USAGE = """
import torch, torch.nn as nn, torch.optim as optim
from torch.optim import lr_scheduler

model = nn.Linear(10, 1)
optimizer = optim.AdamW(model.parameters(), lr=1e-3)

scheduler_cos = lr_scheduler.CosineAnnealingLR(
    optimizer, T_max=100, eta_min=1e-6
)

scheduler_1c = lr_scheduler.OneCycleLR(
    optimizer,
    max_lr=1e-2,
    steps_per_epoch=100,
    epochs=10,
)

scheduler_plat = lr_scheduler.ReduceLROnPlateau(
    optimizer, mode="min", factor=0.5, patience=5, verbose=True
)

for epoch in range(100):
    train_one_epoch(model, optimizer)

    scheduler_cos.step()

    val_loss = validate(model)
    scheduler_plat.step(val_loss)

    print(f"lr: {optimizer.param_groups[0]['lr']:.6f}")
"""

# The per-batch use of OneCycleLR the page describes in a comment.
ONECYCLE_PER_BATCH = """
import torch.optim as optim
from torch.optim import lr_scheduler
optimizer = optim.AdamW(model.parameters(), lr=1e-3)
scheduler_1c = lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, steps_per_epoch=100, epochs=10)
for epoch in range(10):
    for batch in dataloader:
        optimizer.step()
        scheduler_1c.step()
"""

ONECYCLE_PER_EPOCH = """
import torch.optim as optim
from torch.optim import lr_scheduler
optimizer = optim.AdamW(model.parameters(), lr=1e-3)
scheduler_1c = lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, steps_per_epoch=100, epochs=10)
for epoch in range(10):
    for batch in dataloader:
        optimizer.step()
    scheduler_1c.step()
"""

# -- seed 004 (learning-rate differential) ----------------------------------------------------------

SEQUENTIAL_RELU_GROUP = """
import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(10, 5),
    nn.ReLU(),
    nn.Linear(5, 2)
)

optimizer = torch.optim.Adam([
    {'params': model[0].parameters(), 'lr': 0.001},
    {'params': model[1].parameters(), 'lr': 0.01}
])
"""

SEQUENTIAL_FIXED = SEQUENTIAL_RELU_GROUP.replace("model[1].parameters()", "model[2].parameters()")

TWO_LAYER_MODULE = """
import torch
import torch.nn as nn

class SimpleModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(10, 5)
        self.layer2 = nn.Linear(5, 2)

model = SimpleModel()
optimizer = torch.optim.SGD([
    {'params': model.layer1.parameters(), 'lr': 0.001},
    {'params': model.layer2.parameters(), 'lr': 0.01}
], momentum=0.9)

lrs = [group['lr'] for group in optimizer.param_groups]
print(lrs)
"""

PRACTICE_GROUPS = """
import torch
optimizer = torch.optim.SGD([{'params': model.layer1.parameters(), 'lr': 0.01},
                             {'params': model.layer2.parameters(), 'lr': 0.001}], momentum=0.9)
optimizer = torch.optim.Adam([
  {'params': model.layer1.parameters(), 'lr': 0.005},
  {'params': model.layer2.parameters(), 'lr': 0.0005}
])
"""

FAULTY = [
    pytest.param(COSINE_TMAX_5_OVER_10, ["LR004"], id="000-cosine-restarts-after-T_max"),
    pytest.param(EXPONENTIAL_STEP_WITHOUT_OPTIMIZER, ["LR001"], id="000-scheduler-without-optimizer-step"),
    pytest.param(STEPLR_ORDER_AS_THE_PAGE_RECOMMENDS, ["LR001"], id="002-order-the-page-recommends"),
    pytest.param(INTERVIEW_STANDARD_USAGE, ["LR012", "LR011"], id="003-verbose-and-cosine-with-plateau"),
    pytest.param(ONECYCLE_PER_EPOCH, ["LR002"], id="003-onecycle-stepped-per-epoch"),
    pytest.param(SEQUENTIAL_RELU_GROUP, ["LR010"], id="004-group-of-a-relu"),
]

CORRECT = [
    pytest.param(STEPLR_THREE_EPOCHS, id="000-steplr-three-epochs"),
    pytest.param(COSINE_TMAX_10_OVER_10, id="000-cosine-fixed"),
    pytest.param(EXPONENTIAL_FIXED, id="000-exponential-fixed"),
    pytest.param(STEPLR_CORRECT_CONSTRUCTOR, id="000-steplr-constructor"),
    pytest.param(MANUAL_RATE, id="001-manual-rate"),
    pytest.param(STEPLR_WITH_TRAIN, id="001-steplr-with-train"),
    pytest.param(STEPLR_ORDER_CORRECT, id="002-q4-correct-order"),
    pytest.param(ONECYCLE_PER_BATCH, id="003-onecycle-per-batch"),
    pytest.param(SEQUENTIAL_FIXED, id="004-group-of-a-linear"),
    pytest.param(TWO_LAYER_MODULE, id="004-two-layer-module"),
    pytest.param(PRACTICE_GROUPS, id="004-practice-groups"),
]


@pytest.mark.parametrize(("source", "expected"), FAULTY)
def test_faulty_seed_snippets_are_flagged_with_the_right_rule(source, expected):
    assert codes(source) == expected


@pytest.mark.parametrize("source", CORRECT)
def test_correct_seed_snippets_are_clean(source):
    assert codes(source) == []


def test_the_cosine_finding_names_the_steps_and_the_fix():
    (finding,) = lint_source(COSINE_TMAX_5_OVER_10, "seed.py")
    assert (finding.line, finding.column) == (11, 5)
    assert "T_max=5" in finding.message
    assert "stepped 10 times" in finding.message
    assert "T_max=10" in finding.message


def test_the_empty_group_finding_points_at_the_params_entry():
    (finding,) = lint_source(SEQUENTIAL_RELU_GROUP, "seed.py")
    assert finding.line == 13
    assert "model[1] is nn.ReLU" in finding.message


def test_the_interview_loop_flagged_by_lr011_really_departs_from_its_cosine():
    """torch itself: with a metric that stops improving, cosine + plateau on one optimizer is not
    the cosine the page describes (the plateau's cuts and the cosine's recursive formula compound)."""
    import torch
    from torch.optim import lr_scheduler

    def rates(with_plateau: bool) -> list[float]:
        param = torch.nn.Parameter(torch.zeros(1))
        optimizer = torch.optim.AdamW([param], lr=1e-3)
        cosine = lr_scheduler.CosineAnnealingLR(optimizer, T_max=100, eta_min=1e-6)
        plateau = lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=5)
        out = []
        for _ in range(30):
            optimizer.step()
            cosine.step()
            if with_plateau:
                plateau.step(1.0)
            out.append(optimizer.param_groups[0]["lr"])
        return out

    alone, together = rates(False), rates(True)
    assert together[-1] < alone[-1] / 4
