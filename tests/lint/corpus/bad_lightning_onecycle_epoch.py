"""A LightningModule returning OneCycleLR without 'interval': 'step': Lightning steps it per epoch."""

import lightning as L
import torch
from torch import nn
from torch.optim.lr_scheduler import OneCycleLR


class LitResNet(L.LightningModule):
    def __init__(self, model, lr=0.05, steps_per_epoch=390, epochs=30):
        super().__init__()
        self.model = model
        self.lr = lr
        self.steps_per_epoch = steps_per_epoch
        self.epochs = epochs
        self.criterion = nn.CrossEntropyLoss()

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = self.criterion(self.model(x), y)
        self.log("loss", loss)
        return loss

    def configure_optimizers(self):
        optimizer = torch.optim.SGD(self.parameters(), lr=self.lr, momentum=0.9, weight_decay=5e-4)
        scheduler = OneCycleLR(
            optimizer,
            max_lr=0.1,
            epochs=self.epochs,
            steps_per_epoch=self.steps_per_epoch,
        )
        return [optimizer], [scheduler]
