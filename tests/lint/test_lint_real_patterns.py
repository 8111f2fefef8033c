"""Self-written reproductions of the mistakes found in real training scripts (not the scripts).

Each test is a pattern seen in the real-script corpus (docs/lint.md, "Measured on real
scripts"), cut down to a few lines: the mistake is reported, and the correct twin is not.
Several need the linted tree as a whole (a scheduler built in one file, stepped in another).
"""

import textwrap

from lrkit.lint import lint_paths, lint_source


def codes(source: str) -> list[tuple[int, str]]:
    return [(f.line, f.code) for f in lint_source(textwrap.dedent(source))]


def tree(tmp_path, **files: str) -> list[tuple[str, int, str]]:
    for name, text in files.items():
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(text))
    return [(f.path.rpartition("/")[2], f.line, f.code) for f in lint_paths([tmp_path])]


def test_t_max_in_batches_handed_to_a_trainer_in_another_file_and_stepped_per_epoch(tmp_path):
    found = tree(
        tmp_path,
        run="""
            import torch
            from trainer import Trainer
            optimizer = torch.optim.Adam(model.parameters(), 3e-4)
            scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=len(train_loader))
            Trainer(model=model, optimizer=optimizer, scheduler=scheduler).train(train_loader)
        """,
        trainer="""
            class Trainer:
                def __init__(self, *args, **kwargs):
                    self.optimizer = kwargs["optimizer"]
                    self.scheduler = kwargs["scheduler"]

                def train(self, train_loader):
                    for epoch in range(100):
                        for images, labels in train_loader:
                            self.optimizer.step()
                        if epoch >= 10:
                            self.scheduler.step()
                        print(self.scheduler.get_lr())
        """,
    )
    assert ("trainer.py", 12, "LR002") in found
    assert ("trainer.py", 13, "LR007") in found


def test_epoch_sized_scheduler_from_a_factory_handed_to_deepspeed():
    source = """
        import deepspeed
        from torch.optim.lr_scheduler import LinearLR, CosineAnnealingLR, SequentialLR

        def build_lr_scheduler(optimizer, warmup_epochs, total_epochs):
            warmup = LinearLR(optimizer, start_factor=0.1, total_iters=warmup_epochs)
            cosine = CosineAnnealingLR(optimizer, T_max=total_epochs - warmup_epochs)
            combined = SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_epochs])
            return combined

        def main(args, model, optimizer):
            lr_scheduler = build_lr_scheduler(optimizer, args.warmup_epochs, args.epochs)
            engine, optimizer, _, _ = deepspeed.initialize(
                model=model, optimizer=optimizer, lr_scheduler=lr_scheduler, config=cfg
            )
    """
    assert codes(source) == [(13, "LR003")]
    in_steps = source.replace("milestones=[warmup_epochs]", "milestones=[warmup_steps]")
    in_steps = in_steps.replace("total_iters=warmup_epochs", "total_iters=warmup_steps")
    in_steps = in_steps.replace("T_max=total_epochs - warmup_epochs", "T_max=total_steps")
    assert codes(in_steps) == []


def test_base_trainer_checkpoint_without_the_subclass_scheduler(tmp_path):
    base = """
        import torch

        class BaseTrainer:
            def _save_checkpoint(self, epoch, best):
                state = {"epoch": epoch, "model": self.model.state_dict(),
                         "optimizer": self.optimizer.state_dict()}
                torch.save(state, f"checkpoint-{epoch}.pth")
                if best:
                    torch.save(state, "model_best.pth")
    """
    found = tree(
        tmp_path,
        base=base,
        trainer="""
            from base import BaseTrainer

            class Trainer(BaseTrainer):
                def __init__(self, model, optimizer, lr_scheduler=None):
                    self.model, self.optimizer = model, optimizer
                    self.lr_scheduler = lr_scheduler
        """,
    )
    assert found == [("base.py", 8, "LR009")]  # one payload saved to two paths: one report


def test_scheduler_step_before_a_train_function_that_updates(tmp_path):
    found = tree(
        tmp_path,
        engine="""
            def train_one_epoch(model, loader, optimizer):
                for x, y in loader:
                    optimizer.step()
        """,
        main="""
            from torch.optim.lr_scheduler import MultiStepLR
            from engine import train_one_epoch
            scheduler = MultiStepLR(optimizer, milestones=[30, 60])
            for epoch in range(90):
                scheduler.step()
                train_one_epoch(model, loader, optimizer)
        """,
    )
    assert found == [("main.py", 6, "LR001")]


def test_epoch_sized_scheduler_from_another_module_stepped_per_batch(tmp_path):
    found = tree(
        tmp_path,
        optim_utils="""
            import torch
            def get_optimizer(params, args):
                optimizer = torch.optim.SGD(params, lr=args.lr)
                scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=args.epochs // 3)
                return optimizer, scheduler
        """,
        train="""
            from optim_utils import get_optimizer
            optimizer, scheduler = get_optimizer(model.parameters(), args)
            for epoch in range(args.epochs):
                for x, y in loader:
                    optimizer.step()
                    scheduler.step()
        """,
    )
    assert found == [("train.py", 7, "LR003")]


def test_cosine_shorter_than_the_epoch_loop_by_a_constant():
    source = """
        import torch
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=cfg.epochs - 20)
        for epoch in range(1, cfg.epochs + 1):
            train(model, optimizer)
            scheduler.step()
    """
    assert codes(source) == [(6, "LR004")]
    assert codes(source.replace("cfg.epochs - 20", "cfg.epochs")) == []


def test_checkpoint_through_a_helper_and_the_scheduler_built_after_the_load():
    source = """
        import torch
        optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        if ckpt is not None:
            optimizer.load_state_dict(ckpt["optimizer_state_dict"])
        payload = {"optimizer_state_dict": optimizer.state_dict()}
        atexit.register(lambda: save_training_checkpoint(payload, path))
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    """
    assert codes(source) == [(7, "LR009"), (8, "LR008")]


def test_resume_that_never_loads_the_saved_scheduler_and_its_fix():
    source = """
        import torch
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda n: min(1.0, n / 1000))
        if args.load_step > 0:
            ckpt = torch.load(f"{args.load_step}.th")
            model.load_state_dict(ckpt["model"])
        for i, batch in enumerate(loader, args.load_step + 1):
            opt.step()
            sched.step()
            torch.save({"model": model.state_dict(), "optimizer": opt.state_dict(),
                        "sched": sched.state_dict()}, f"{i}.th")
    """
    assert codes(source) == [(5, "LR013")]
    fixed = source.replace(
        '        model.load_state_dict(ckpt["model"])\n',
        '        model.load_state_dict(ckpt["model"])\n        sched.load_state_dict(ckpt["sched"])\n',
    )
    assert codes(fixed) == []
    # A stateless LambdaLR rebuilt at its position: nothing is lost.
    positioned = source.replace(
        "lambda n: min(1.0, n / 1000))", "lambda n: min(1.0, n / 1000), last_epoch=start)"
    )
    assert codes(positioned) == []


def test_scheduler_state_restored_by_a_helper_in_another_file(tmp_path):
    found = tree(
        tmp_path,
        utils="""
            import torch
            def load_checkpoint(path, model, optimizer, scheduler):
                state = torch.load(path)
                model.load_state_dict(state["model"])
                scheduler.load_state_dict(state["scheduler"])
        """,
        train="""
            import torch
            from utils import load_checkpoint
            scheduler = torch.optim.lr_scheduler.StepLR(optimizer, 30)
            if args.resume:
                ckpt = torch.load(args.resume)
                load_checkpoint(args.resume, model, optimizer, scheduler)
            torch.save({"scheduler": scheduler.state_dict()}, "last.pt")
        """,
    )
    assert found == []


def test_manual_accumulation_with_a_schedule_in_micro_batches():
    source = """
        from transformers import get_linear_schedule_with_warmup
        total = len(train_dataloader) * args.epochs
        scheduler = get_linear_schedule_with_warmup(optimizer, 0, total)
        for epoch in range(args.epochs):
            for step, batch in enumerate(train_dataloader):
                (model(**batch).loss / args.gradient_accumulation_steps).backward()
                if (step + 1) % args.gradient_accumulation_steps == 0:
                    optimizer.step()
                    scheduler.step()
    """
    assert codes(source) == [(4, "LR014")]
    divided = source.replace(
        "len(train_dataloader) * args.epochs",
        "len(train_dataloader) // args.gradient_accumulation_steps * args.epochs",
    )
    assert codes(divided) == []
    # Every micro-batch steps the schedule: micro-batches are the right unit.
    guard = "if (step + 1) % args.gradient_accumulation_steps == 0:"
    unguarded = source.replace(guard, "if True:")
    assert codes(unguarded) == []


def test_accelerate_warmup_and_total_multiplied_by_the_accumulation():
    source = """
        from transformers import get_scheduler
        lr_scheduler = get_scheduler(
            name=args.lr_scheduler_type, optimizer=optimizer,
            num_warmup_steps=args.num_warmup_steps * args.gradient_accumulation_steps,
            num_training_steps=args.max_train_steps * args.gradient_accumulation_steps,
        )
        model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare(
            model, optimizer, train_dataloader, lr_scheduler
        )
        for batch in train_dataloader:
            with accelerator.accumulate(model):
                accelerator.backward(model(**batch).loss)
                optimizer.step()
                lr_scheduler.step()
    """
    assert codes(source) == [(3, "LR014")]
    # Not prepared: the scheduler then steps at every micro-batch.
    prepared = "model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare("
    not_prepared = "model, optimizer, train_dataloader, _ = accelerator.prepare("
    assert codes(source.replace(prepared, not_prepared)) == []


def test_rank_guards():
    source = """
        for epoch in range(epochs):
            for batch in loader:
                optimizer.step()
            if args.local_rank in [-1, 0]:
                scheduler.step()
                save(model)
    """
    assert codes(source) == [(6, "LR016")]
    everything_on_rank_zero = """
        if accelerator.is_main_process:
            for batch in loader:
                optimizer.step()
                scheduler.step()
    """
    assert codes(everything_on_rank_zero) == []
    distributed_only = source.replace("args.local_rank in [-1, 0]", "args.local_rank != -1")
    assert codes(distributed_only) == []


def test_never_stepped_branch_and_its_correct_twin():
    source = """
        from torch.optim import lr_scheduler
        if cfg.sched == "onecycle":
            sched = lr_scheduler.OneCycleLR(opt, 0.1, total_steps=steps)
        elif cfg.sched in ("cosine", "cos"):
            sched = lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs)
        for epoch in range(cfg.epochs):
            for batch in loader:
                opt.step()
                if cfg.sched == "onecycle":
                    sched.step()
    """
    assert codes(source) == [(6, "LR015")]
    both = source.rstrip(" ") + "        if cfg.sched in ('cosine', 'cos'):\n            sched.step()\n"
    assert codes(both) == []


def test_resume_that_restores_the_epoch_but_no_optimizer_nor_scheduler():
    source = """
        import torch
        if args.resume:
            checkpoint = torch.load("./checkpoint/ckpt.pth")
            net.load_state_dict(checkpoint["net"])
            start_epoch = checkpoint["epoch"]
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=200)
        for epoch in range(start_epoch, start_epoch + 200):
            train(epoch)
            scheduler.step()
    """
    assert codes(source) == [(4, "LR013")]
    restored = source.replace(
        'net.load_state_dict(checkpoint["net"])',
        'net.load_state_dict(checkpoint["net"]); optimizer.load_state_dict(checkpoint["optimizer"])',
    )
    assert codes(restored) == [(7, "LR008")]  # now the other resume mistake: built after the load
    fine_tuning = source.replace('checkpoint["epoch"]', "0")
    assert codes(fine_tuning) == []
