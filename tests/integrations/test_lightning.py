"""Lightning trains a tiny model on CPU with an lrkit.Scheduler (interval="step").

Checked: the rate each optimizer update used (against torch's own schedulers), a plateau phase fed
by `PlateauCallback`, exact resume through Lightning's checkpoints (at an epoch boundary and in the
middle of an epoch), and the configuration checks.
"""

import logging
import warnings

import pytest
import torch

pl = pytest.importorskip("lightning.pytorch")

from lrkit import Scheduler, cosine, plateau, product  # noqa: E402
from lrkit.distributed import run_totals  # noqa: E402
from lrkit.integrations.lightning import PlateauCallback, StepCheck, SteppingWarning, scheduler_config  # noqa: E402

SAMPLES, BATCH, ACCUM = 20, 4, 2  # 5 batches per epoch, 3 optimizer updates (the last one flushed)
PER_EPOCH = run_totals(SAMPLES, BATCH, accumulation=ACCUM).updates_per_epoch
VAL = [1.0, 1.0, 0.75, 0.75, 0.75, 0.5]  # float32-exact, logged once per epoch


class Tiny(pl.LightningModule):
    def __init__(self, schedule, total, interval="step"):
        super().__init__()
        torch.manual_seed(0)
        self.layer = torch.nn.Linear(2, 1)
        self.schedule, self.total, self.interval = schedule, total, interval
        self.used = []

    def training_step(self, batch, batch_idx):
        x, y = batch
        return torch.nn.functional.mse_loss(self.layer(x), y)

    def on_before_optimizer_step(self, optimizer):
        self.used.append(optimizer.param_groups[0]["lr"])

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", VAL[self.current_epoch])

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        sched = Scheduler(opt, self.schedule, total=self.total)
        config = scheduler_config(sched, name="lrkit")
        config["interval"] = self.interval
        return {"optimizer": opt, "lr_scheduler": config}


def loader():
    gen = torch.Generator().manual_seed(0)
    data = torch.utils.data.TensorDataset(torch.randn(SAMPLES, 2, generator=gen), torch.randn(SAMPLES, 1))
    return torch.utils.data.DataLoader(data, batch_size=BATCH)


def fit(model, epochs, tmp_path, callbacks=(), ckpt_path=None, checkpointing=False):
    logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=1,
        max_epochs=epochs,
        accumulate_grad_batches=ACCUM,
        logger=False,
        enable_checkpointing=checkpointing,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        default_root_dir=tmp_path,
        callbacks=list(callbacks),
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*(num_workers|bottleneck|LeafSpec|isinstance).*")
        # Resuming from the mid-epoch checkpoint on purpose (the rates stay exact: tested).
        warnings.filterwarnings("ignore", message=".*(ended before the epoch|callbacks used to create).*")
        trainer.fit(model, loader(), loader(), ckpt_path=ckpt_path)
    return trainer


def test_rates_per_optimizer_update_with_accumulation(tmp_path, torch_lrs):
    epochs = 3
    total = run_totals(SAMPLES, BATCH, accumulation=ACCUM, epochs=epochs).updates
    model = Tiny(cosine(), total)
    trainer = fit(model, epochs, tmp_path)
    assert trainer.global_step == total == 9
    rates = torch_lrs(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=total), [0.1], total)
    assert model.used == pytest.approx(rates[:, 0], rel=1e-12, abs=1e-15)
    assert trainer.lr_scheduler_configs[0].scheduler.updates == total


def test_plateau_phase_gets_the_monitored_metric(tmp_path):
    epochs = 5
    model = Tiny(plateau(factor=0.5, patience=0), None)
    fit(model, epochs, tmp_path, callbacks=[PlateauCallback("val_loss")])
    # torch's ReduceLROnPlateau fed the same metrics: epoch e's updates use the lr after e evaluations.
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    expected = []
    for epoch in range(epochs):
        expected += [opt.param_groups[0]["lr"]] * PER_EPOCH
        ref.step(VAL[epoch])
    assert model.used == expected
    assert len(set(expected)) > 1  # it did reduce


def run_with_resume(tmp_path, schedule, total, epochs):
    callback = PlateauCallback("val_loss")
    whole = Tiny(schedule, total)
    checkpoint = pl.callbacks.ModelCheckpoint(
        dirpath=tmp_path / "mid", every_n_train_steps=4, save_top_k=-1, filename="{step}"
    )
    fit(whole, epochs, tmp_path / "whole", [callback, checkpoint], checkpointing=True)
    first = Tiny(schedule, total)
    trainer = fit(first, 2, tmp_path / "first", [callback])
    trainer.save_checkpoint(tmp_path / "epoch2.ckpt")
    second = Tiny(schedule, total)
    fit(second, epochs, tmp_path / "second", [callback], ckpt_path=tmp_path / "epoch2.ckpt")
    middle = Tiny(schedule, total)
    fit(middle, epochs, tmp_path / "middle", [callback], ckpt_path=tmp_path / "mid" / "step=4.ckpt")
    return whole.used, first.used + second.used, whole.used[:4] + middle.used


def test_resume_through_lightning_checkpoints_is_exact(tmp_path):
    epochs = 4
    total = epochs * PER_EPOCH
    schedule = product([cosine(end=0.1), plateau(factor=0.5, patience=0)])
    whole, at_epoch, mid_epoch = run_with_resume(tmp_path, schedule, total, epochs)
    assert len(whole) == total
    assert at_epoch == whole  # bit for bit, plateau counters included
    assert mid_epoch == whole


def test_epoch_interval_is_refused(tmp_path):
    model = Tiny(plateau(), None, interval="epoch")
    with pytest.raises(ValueError, match="interval='epoch'"):
        fit(model, 1, tmp_path, callbacks=[PlateauCallback("val_loss")])


def test_callback_needs_a_plateau_and_the_metric(tmp_path):
    with pytest.raises(ValueError, match=r"no lrkit\.Scheduler returned by configure_optimizers has one"):
        fit(Tiny(cosine(), 3), 1, tmp_path, callbacks=[PlateauCallback("val_loss")])
    with pytest.raises(ValueError, match=r"no such logged metric.*'val_loss'"):
        fit(Tiny(plateau(), None), 1, tmp_path, callbacks=[PlateauCallback("val_acc")])


def test_arguments():
    with pytest.raises(TypeError, match=r"Argument `monitor` of PlateauCallback\(\)"):
        PlateauCallback("")
    with pytest.raises(ValueError, match=r"Argument `reduce` of PlateauCallback\(\)"):
        PlateauCallback("val_loss", reduce="avg")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(TypeError, match=r"Argument `scheduler` of scheduler_config\(\)"):
        scheduler_config(torch.optim.lr_scheduler.StepLR(opt, 1))


class PerRank(Tiny):
    """Logs a rank-dependent val_loss (no sync_dist) and writes its rates to a file at the end."""

    def __init__(self, schedule, total, out):
        super().__init__(schedule, total)
        self.out = str(out)

    def validation_step(self, batch, batch_idx):
        self.log("val_loss", VAL[self.current_epoch] + 0.5 * self.global_rank)

    def on_train_end(self):
        import json

        with open(f"{self.out}/rank{self.global_rank}.json", "w") as f:
            json.dump(self.used, f)


def test_ddp_ranks_agree_with_a_plateau(tmp_path):
    import json

    epochs = 4
    model = PerRank(plateau(factor=0.5, patience=0), None, tmp_path)
    trainer = pl.Trainer(
        accelerator="cpu",
        devices=2,
        strategy=pl.strategies.DDPStrategy(start_method="spawn", process_group_backend="gloo"),
        max_epochs=epochs,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        callbacks=[PlateauCallback("val_loss")],
    )
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=".*(num_workers|bottleneck|LeafSpec|isinstance|sync_dist).*"
        )
        trainer.fit(model, loader(), loader())
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(2)]
    assert ranks[0] == ranks[1]
    # The mean of the ranks' losses, VAL[e] + 0.25, fed to torch's ReduceLROnPlateau.
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    per_epoch = len(ranks[0]) // epochs
    expected = []
    for epoch in range(epochs):
        expected += [opt.param_groups[0]["lr"]] * per_epoch
        ref.step(VAL[epoch] + 0.25)
    assert ranks[0] == expected


class Plain(Tiny):
    """Returns ``[opt], [sched]``: Lightning's default interval="epoch" for a per-update schedule."""

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        return [opt], [Scheduler(opt, self.schedule, total=self.total)]


def fit_catching(model, tmp_path, callbacks):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        trainer = fit(model, 3, tmp_path, callbacks=callbacks)
    return trainer, [w for w in caught if issubclass(w.category, SteppingWarning)]


def test_a_scheduler_stepped_per_epoch_is_warned_about_once(tmp_path):
    total = run_totals(SAMPLES, BATCH, accumulation=ACCUM, epochs=3).updates
    model = Plain(cosine(), total)
    # Two checks (as when the entry point is installed and one is passed by hand): one warning.
    trainer, caught = fit_catching(model, tmp_path, [StepCheck(), StepCheck()])
    sched = trainer.lr_scheduler_configs[0].scheduler
    # The defect made visible: 9 optimizer updates, 3 scheduler steps, the rates of an epoch equal.
    assert trainer.global_step == 9
    assert sched.updates == 3
    assert model.used[:3] == [0.1, 0.1, 0.1]
    assert len(caught) == 1  # once, though every later batch lags as well
    message = str(caught[0].message)
    assert "was stepped 0 times while the optimizer made 2 updates" in message
    assert "interval='epoch'" in message
    assert "scheduler_config(sched)" in message


def test_no_warning_when_stepped_per_update(tmp_path):
    total = run_totals(SAMPLES, BATCH, accumulation=ACCUM, epochs=3).updates
    model = Tiny(cosine(), total)
    trainer, caught = fit_catching(model, tmp_path, [StepCheck()])
    assert trainer.lr_scheduler_configs[0].scheduler.updates == trainer.global_step == 9
    assert caught == []


def test_lightning_gets_the_check_from_the_entry_point():
    import tomllib
    from pathlib import Path

    from lrkit.integrations.lightning import callbacks

    pyproject = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text("utf-8"))
    points = pyproject["project"]["entry-points"]["lightning.pytorch.callbacks_factory"]
    assert points == {"lrkit": "lrkit.integrations.lightning:callbacks"}
    made = callbacks()
    assert len(made) == 1
    assert isinstance(made[0], StepCheck)
    assert isinstance(made[0], pl.Callback)
