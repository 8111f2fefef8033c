"""LR017 (a schedule sized for every process's batches, stepped per batch of one) and LR013 for
``accelerator.load_state`` with a scheduler accelerate never saw; self-written reproductions of
patterns seen in real scripts (a DDP dehazing trainer, a ReLoRA fork of transformers' GLUE example).
"""

import math
import textwrap

import torch
from torch.utils.data import DataLoader, DistributedSampler

from lrkit.lint import lint_paths, lint_source


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_source(textwrap.dedent(source))]


def test_a_distributed_sampler_gives_each_process_its_share_of_the_batches():
    # The reference for the rule: torch's own sampler and loader, 2 processes.
    data = torch.utils.data.TensorDataset(torch.zeros(1000, 1))
    sampler = DistributedSampler(data, num_replicas=2, rank=0)
    loader = DataLoader(data, batch_size=10, sampler=sampler)
    assert len(loader) == math.ceil(len(data) / 2 / 10) == len(data) // 10 // 2


DDP = """
    import torch
    from torch.utils.data import DataLoader
    from torch.utils.data.distributed import DistributedSampler

    train_sampler = DistributedSampler(dataset=trainset, shuffle=True)
    train_loader = DataLoader(trainset, batch_size=batch_size, sampler=train_sampler)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer,
        max_lr=5e-4,
        steps_per_epoch=len(train_loader.dataset) // batch_size,
        epochs=num_epochs,
    )
    for epoch in range(num_epochs):
        train_sampler.set_epoch(epoch)
        for images, targets in train_loader:
            loss_fn(net(images), targets).backward()
            optimizer.step()
            scheduler.step()
"""


def test_one_cycle_sized_on_the_whole_data_set_under_a_distributed_sampler():
    assert codes(DDP) == [(8, "LR017")]


def test_sized_from_the_per_process_loader_or_divided_by_the_world_size_is_fine():
    assert codes(DDP.replace("len(train_loader.dataset) // batch_size", "len(train_loader)")) == []
    divided = DDP.replace(
        "len(train_loader.dataset) // batch_size", "len(trainset) // batch_size // world_size"
    )
    assert codes(divided) == []
    # A per-process batch that is the global one divided by the world size: each process runs
    # len(trainset) / batch_size batches after all.
    per_process = DDP.replace("batch_size=batch_size,", "batch_size=batch_size // world_size,")
    assert codes(per_process) == []
    # No DistributedSampler: every process iterates everything.
    assert codes(DDP.replace(", sampler=train_sampler", "")) == []


ACCELERATE = """
    import math
    from accelerate import Accelerator
    from transformers import get_scheduler

    accelerator = Accelerator()
    num_update_steps_per_epoch = math.ceil(len(train_dataloader) / gradient_accumulation_steps)
    max_train_steps = num_train_epochs * num_update_steps_per_epoch
    lr_scheduler = get_scheduler(
        name="linear", optimizer=optimizer, num_warmup_steps=100, num_training_steps=max_train_steps
    )
    model, optimizer, train_dataloader = accelerator.prepare(model, optimizer, train_dataloader)
    if resume_from_checkpoint:
        accelerator.load_state(resume_from_checkpoint)
    for epoch in range(num_train_epochs):
        for step, batch in enumerate(train_dataloader):
            accelerator.backward(model(**batch).loss / gradient_accumulation_steps)
            if (step + 1) % gradient_accumulation_steps == 0:
                optimizer.step()
                lr_scheduler.step()
                optimizer.zero_grad()
"""


def test_a_scheduler_left_out_of_prepare_sized_on_the_unprepared_loader():
    # Sized on the loader before prepare() splits it, and not prepared (so stepped once per
    # process update); and load_state() cannot restore it.
    assert codes(ACCELERATE) == [(9, "LR017"), (14, "LR013")]


def test_the_scheduler_passed_to_prepare_is_sized_and_restored_right():
    prepared = ACCELERATE.replace(
        "model, optimizer, train_dataloader = accelerator.prepare(model, optimizer, train_dataloader)",
        "model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare(\n"
        "        model, optimizer, train_dataloader, lr_scheduler\n    )",
    )
    assert codes(prepared) == []
    registered = ACCELERATE.replace(
        "    if resume_from_checkpoint:\n",
        "    accelerator.register_for_checkpointing(lr_scheduler)\n    if resume_from_checkpoint:\n",
    )
    assert codes(registered) == [(9, "LR017")]


def test_split_batches_keeps_every_batch_on_every_process():
    # With split_batches=True each process gets a slice of every batch: as many batches as before.
    split = ACCELERATE.replace("Accelerator()", "Accelerator(split_batches=True)")
    assert [code for _, code in codes(split)] == ["LR013"]


def test_sized_after_prepare_on_the_split_loader_is_fine():
    after = ACCELERATE.replace(
        "    model, optimizer, train_dataloader = accelerator.prepare(model, optimizer, train_dataloader)\n",
        "",
    ).replace(
        "    accelerator = Accelerator()\n",
        "    accelerator = Accelerator()\n"
        "    model, optimizer, train_dataloader = accelerator.prepare(model, optimizer, train_dataloader)\n",
    )
    assert [code for _, code in codes(after)] == ["LR013"]


def test_a_resume_that_reads_the_epoch_of_an_existing_weight_file():
    # No "resume" in the test: reading the epoch back from the loaded file is the resume.
    source = """
        import os
        import torch
        lr_scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30)
        start_epoch = 0
        if os.path.exists(weight_file):
            checkpoint = torch.load(weight_file)
            model.load_state_dict(checkpoint["model"])
            start_epoch = checkpoint["epoch"] + 1
        for epoch in range(start_epoch, epochs):
            loss = train_one_epoch(loader, model, optimizer)
            lr_scheduler.step()
            torch.save({"model": model.state_dict(), "epoch": epoch}, weight_file)
    """
    assert codes(source) == [(7, "LR013")]
    # The optimizer handed back through a helper, the scheduler fast-forwarded: nothing is lost.
    restored = source.replace(
        '            model.load_state_dict(checkpoint["model"])\n',
        '            model.load_state_dict(checkpoint["model"])\n'
        '            optimizer = make_optimizer(model.parameters(), checkpoint["optimizer"], load_sd=True)\n',
    )
    assert codes(restored) == []
    forwarded = source.replace(
        "        for epoch in range(start_epoch, epochs):\n",
        "        for _ in range(start_epoch):\n            lr_scheduler.step()\n"
        "        for epoch in range(start_epoch, epochs):\n",
    )
    assert codes(forwarded) == []


def test_a_scheduler_imported_from_the_file_that_built_it_on_the_unprepared_loader(tmp_path):
    (tmp_path / "fine_tuning.py").write_text(
        textwrap.dedent(
            """
            from torch.utils.data import DataLoader
            from transformers import get_scheduler
            train_loader = DataLoader(train_dataset, shuffle=True, batch_size=8)
            epochs = 3
            lr_scheduler = get_scheduler(
                "linear", optimizer, num_warmup_steps=0, num_training_steps=epochs * len(train_loader)
            )
            """
        )
    )
    (tmp_path / "hf_accelerate.py").write_text(
        textwrap.dedent(
            """
            from accelerate import Accelerator
            from fine_tuning import train_loader, model, optimizer, epochs, lr_scheduler
            accelerator = Accelerator()
            train_loader, model, optimizer = accelerator.prepare(train_loader, model, optimizer)
            for epoch in range(epochs):
                for batch in train_loader:
                    accelerator.backward(model(**batch).loss)
                    optimizer.step()
                    lr_scheduler.step()
                    optimizer.zero_grad()
            """
        )
    )
    found = [(f.path.rpartition("/")[2], f.line, f.code) for f in lint_paths([tmp_path])]
    assert found == [("hf_accelerate.py", 10, "LR017")]


PER_EPOCH = """
    import torch
    from accelerate import Accelerator
    accelerator = Accelerator()
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, "max", patience=5)
    model, optimizer, train_loader, scheduler = accelerator.prepare(model, optimizer, train_loader, scheduler)
    for epoch in range(num_epochs):
        for batch, mixes in train_loader:
            accelerator.backward(loss_fn(model(mixes), batch))
            optimizer.step()
            optimizer.zero_grad()
        sdr = validate(model, valid_loader)
        scheduler.step(sdr)
"""


def test_a_prepared_scheduler_stepped_once_per_epoch():
    assert codes(PER_EPOCH) == [(13, "LR018")]
    # accelerate told that the scheduler is not stepped with the optimizer: one step per call.
    once = PER_EPOCH.replace("Accelerator()", "Accelerator(step_scheduler_with_optimizer=False)")
    assert codes(once) == []
    # Not prepared: stepped once per call by the script itself.
    kept_out = PER_EPOCH.replace("train_loader, scheduler)", "train_loader)").replace(
        "model, optimizer, train_loader, scheduler =", "model, optimizer, train_loader ="
    )
    assert codes(kept_out) == []
