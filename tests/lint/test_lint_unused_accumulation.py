"""LR014's other side (a schedule divided by the accumulation, stepped at every batch of a loop
that does not accumulate) and LR009 with a fast-forward that moves its own counter; self-written
reproductions of patterns seen in real scripts (a BART trainer whose accumulation was commented
out, a decoder trainer with an unused accumulation option, a depth-estimation saver that puts each
scheduler of a list back at its epoch)."""

import textwrap

import pytest
import torch

from lrkit.lint import lint_source


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_source(textwrap.dedent(source))]


def test_the_mistake_a_linear_schedule_divided_by_an_unused_accumulation_ends_early():
    # The reference: transformers' own schedule, stepped once per batch of a loop that does not
    # accumulate. Sized len(loader) // 4 * epochs, it reaches 0 after a quarter of the run.
    transformers = pytest.importorskip("transformers")
    batches, epochs, accumulation = 40, 4, 4
    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = transformers.get_linear_schedule_with_warmup(
        optimizer, num_warmup_steps=0, num_training_steps=batches // accumulation * epochs
    )
    rates = []
    for _ in range(batches * epochs):
        optimizer.step()
        scheduler.step()
        rates.append(optimizer.param_groups[0]["lr"])
    first_zero = rates.index(0.0)
    assert first_zero + 1 == batches * epochs // accumulation
    assert all(rate == 0.0 for rate in rates[first_zero:])  # three quarters of the run at rate 0


COMMENTED_OUT = """
    import torch
    from transformers import get_linear_schedule_with_warmup

    def train_epoch(model, train_loader, optimizer, scheduler):
        for batch in train_loader:
            loss = model(**batch).loss
            # if args.accumulate_grad_batches > 1:
            #     loss = loss / args.accumulate_grad_batches
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()

    def main(args):
        t_total = len(train_loader) // args.accumulate_grad_batches * args.epochs
        scheduler = get_linear_schedule_with_warmup(
            optimizer, num_warmup_steps=args.warmup_steps, num_training_steps=t_total
        )
        for epoch in range(args.epochs):
            train_epoch(model, train_loader, optimizer, scheduler)
"""


def test_a_length_divided_by_an_accumulation_the_loop_never_does_is_lr014():
    assert codes(COMMENTED_OUT) == [(17, "LR014")]


UNUSED_OPTION = """
    import math
    from transformers import get_scheduler

    num_update_steps_per_epoch = math.ceil(len(batched_chunks) / args.gradient_accumulation_steps)
    if args.max_train_steps is None:
        args.max_train_steps = args.num_train_epochs * num_update_steps_per_epoch
    lr_scheduler = get_scheduler(
        name=args.lr_scheduler_type,
        optimizer=optimizer,
        num_warmup_steps=args.num_warmup_steps,
        num_training_steps=args.max_train_steps,
    )
    for epoch in range(args.num_train_epochs):
        for step, batch in enumerate(batched_chunks):
            loss = model(**batch).loss
            loss.backward()
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
"""


def test_an_accumulation_option_that_only_shortens_the_schedule_is_lr014():
    assert codes(UNUSED_OPTION) == [(8, "LR014")]


@pytest.mark.parametrize(
    "loop",
    [
        # the accumulation test around the update (LR014's usual case: right here)
        """
        for step, batch in enumerate(train_dataloader):
            loss = model(**batch).loss / args.gradient_accumulation_steps
            loss.backward()
            if (step + 1) % args.gradient_accumulation_steps == 0:
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad()
        """,
        # the same with `continue` before the update
        """
        for step, batch in enumerate(train_dataloader):
            loss = model(**batch).loss / args.gradient_accumulation_steps
            loss.backward()
            if (step + 1) % args.gradient_accumulation_steps != 0:
                continue
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
        """,
        # accelerate accumulates (a prepared scheduler steps on synchronized steps only)
        """
        model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare(
            model, optimizer, train_dataloader, lr_scheduler
        )
        for step, batch in enumerate(train_dataloader):
            with accelerator.accumulate(model):
                accelerator.backward(model(**batch).loss)
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad()
        """,
        # a micro-batch loop inside the update
        """
        for step, batch in enumerate(train_dataloader):
            for micro in batch.chunk(args.gradient_accumulation_steps):
                (model(**micro).loss / args.gradient_accumulation_steps).backward()
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
        """,
        # DeepSpeed's engine accumulates inside backward()/step()
        """
        for step, batch in enumerate(train_dataloader):
            loss = model_engine(**batch).loss
            model_engine.backward(loss)
            model_engine.step()
            lr_scheduler.step()
        """,
        # the accumulation under another name (`ga = args.gradient_accumulation_steps`)
        """
        ga = args.gradient_accumulation_steps
        for step, batch in enumerate(train_dataloader):
            (model(**batch).loss / ga).backward()
            if (step + 1) % ga != 0:
                continue
            optimizer.step()
            lr_scheduler.step()
        """,
        # stepped every N batches: a cadence the rule does not read
        """
        for step, batch in enumerate(train_dataloader):
            model(**batch).loss.backward()
            optimizer.step()
            if step % 10 == 0:
                lr_scheduler.step()
        """,
    ],
)
def test_a_loop_that_accumulates_or_steps_otherwise_is_left_alone(loop):
    source = (
        "import math\nfrom transformers import get_scheduler\n"
        "steps = math.ceil(len(train_dataloader) / args.gradient_accumulation_steps) * args.epochs\n"
        "lr_scheduler = get_scheduler('linear', optimizer, num_warmup_steps=0, num_training_steps=steps)\n"
        "for epoch in range(args.epochs):\n" + textwrap.indent(textwrap.dedent(loop), "    ")
    )
    assert [c for c in codes(source) if c[1] == "LR014"] == []


def test_a_length_in_batches_stepped_per_batch_is_left_alone():
    source = """
        from transformers import get_scheduler
        lr_scheduler = get_scheduler("linear", optimizer, 0, len(train_dataloader) * epochs)
        for epoch in range(epochs):
            for batch in train_dataloader:
                model(**batch).loss.backward()
                optimizer.step()
                lr_scheduler.step()
    """
    assert codes(source) == []


# -- LR009: a fast-forward that moves its own counter --------------------------------------------


@pytest.mark.filterwarnings("ignore:Detected call of `lr_scheduler.step\\(\\)` before")
def test_the_reference_a_fast_forward_after_resetting_the_rate_restores_multisteplr_exactly():
    # Why the pattern is exact: torch's MultiStepLR, run 7 epochs, against a fresh one whose
    # optimizer's rate is reset to initial_lr and then stepped 7 times in a while loop.
    def run(epochs, optimizer=None):
        optimizer = optimizer or torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
        scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [3, 5], 0.1)
        for _ in range(epochs):
            optimizer.step()
            scheduler.step()
        return optimizer, scheduler

    trained, _ = run(7)
    state = trained.state_dict()
    resumed = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=1.0)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(resumed, [3, 5], 0.1)
    resumed.load_state_dict(state)
    for group in resumed.param_groups:
        group["lr"] = group["initial_lr"]
    epoch = 0
    while epoch < 7:
        epoch += 1
        scheduler.step()
    assert resumed.param_groups[0]["lr"] == pytest.approx(trained.param_groups[0]["lr"])


SAVER = """
    import torch

    class Saver:
        def save_model(self, model, optimizers, epoch):
            save_dict = {"model_params": model.state_dict(), "epoch": epoch}
            for idx, optimizer in enumerate(optimizers):
                save_dict[("optim_params", idx)] = optimizer.state_dict()
            torch.save(save_dict, "last_model.pth")

        def load_optim(self, path, optimizers, schedulers):
            load_dict = torch.load(path)
            start_epoch = load_dict["epoch"] + 1
            for idx in range(len(optimizers)):
                optimizer = optimizers[idx]
                scheduler = schedulers[idx]
                optimizer.load_state_dict(load_dict[("optim_params", idx)])
                for group in optimizer.param_groups:
                    group["lr"] = group["initial_lr"]
                temp_epoch = 1
                while temp_epoch < start_epoch:
                    temp_epoch += 1
                    scheduler.step()
            return optimizers, schedulers
"""


def test_a_nested_fast_forward_that_moves_its_counter_puts_the_schedule_back():
    assert codes(SAVER) == []


def test_a_checkpoint_without_the_scheduler_and_no_fast_forward_is_still_lr009():
    source = SAVER.replace("scheduler.step()", "print(temp_epoch)")
    source += "\n    scheduler = torch.optim.lr_scheduler.MultiStepLR(opt, [10, 20])\n"
    assert [c for _, c in codes(source)] == ["LR009"]
