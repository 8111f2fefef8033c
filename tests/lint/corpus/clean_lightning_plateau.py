"""Lightning: MultiStepLR per epoch for the encoder run, plateau on the validation loss."""

import pytorch_lightning as pl
import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau


class Segmenter(pl.LightningModule):
    def __init__(self, backbone, head, max_epochs=100):
        super().__init__()
        self.backbone = backbone
        self.head = head
        self.max_epochs = max_epochs
        self.loss = nn.CrossEntropyLoss()

    def training_step(self, batch, batch_idx):
        images, masks = batch
        logits = self.head(self.backbone(images))
        loss = self.loss(logits, masks)
        self.log("train/loss", loss, prog_bar=True)
        return loss

    def validation_step(self, batch, batch_idx):
        images, masks = batch
        self.log("val/loss", self.loss(self.head(self.backbone(images)), masks))

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=0.01, momentum=0.9)
        scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.2, patience=3)
        return {
            "optimizer": optimizer,
            "lr_scheduler": {"scheduler": scheduler, "monitor": "val/loss", "interval": "epoch"},
        }
