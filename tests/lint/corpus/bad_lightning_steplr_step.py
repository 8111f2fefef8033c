"""Lightning: a cosine sized by max_epochs but configured to step every batch."""

import pytorch_lightning as pl
import torch
import torch.nn.functional as F


class LitAutoEncoder(pl.LightningModule):
    def __init__(self, encoder, decoder, max_epochs=100):
        super().__init__()
        self.encoder = encoder
        self.decoder = decoder
        self.max_epochs = max_epochs

    def training_step(self, batch, batch_idx):
        x, _ = batch
        x = x.view(x.size(0), -1)
        loss = F.mse_loss(self.decoder(self.encoder(x)), x)
        self.log("train_loss", loss)
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=1e-3)
        scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=self.max_epochs)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {
                "scheduler": scheduler,
                "interval": "step",
            },
        }
