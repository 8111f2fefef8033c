"""Lightning manual optimization: the module steps its optimizer and scheduler itself, per batch."""

import lightning.pytorch as pl
import torch


class ManualGAN(pl.LightningModule):
    def __init__(self, generator, discriminator):
        super().__init__()
        self.automatic_optimization = False
        self.generator = generator
        self.discriminator = discriminator

    def training_step(self, batch, batch_idx):
        opt_g, opt_d = self.optimizers()
        sched_g, sched_d = self.lr_schedulers()
        real = batch
        fake = self.generator(torch.randn(real.size(0), 128, device=self.device))
        loss_d = self.discriminator(fake.detach()).mean() - self.discriminator(real).mean()
        opt_d.zero_grad()
        self.manual_backward(loss_d)
        opt_d.step()
        loss_g = -self.discriminator(fake).mean()
        opt_g.zero_grad()
        self.manual_backward(loss_g)
        opt_g.step()
        sched_g.step()
        sched_d.step()

    def configure_optimizers(self):
        opt_g = torch.optim.Adam(self.generator.parameters(), lr=1e-4, betas=(0.0, 0.9))
        opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=4e-4, betas=(0.0, 0.9))
        sched_g = torch.optim.lr_scheduler.LinearLR(opt_g, start_factor=1.0, end_factor=0.0, total_iters=100_000)
        sched_d = torch.optim.lr_scheduler.LinearLR(opt_d, start_factor=1.0, end_factor=0.0, total_iters=100_000)
        return [opt_g, opt_d], [sched_g, sched_d]
