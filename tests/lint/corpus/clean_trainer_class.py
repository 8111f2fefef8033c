"""A Trainer class: optimizer and scheduler as attributes, stepped per batch in a method, saved and loaded."""

import os
import torch
from torch.optim.lr_scheduler import OneCycleLR, StepLR

class Trainer:
    def __init__(self, model, loader, epochs=10):
        self.model = model
        self.loader = loader
        self.epochs = epochs
        self.optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
        self.scheduler = OneCycleLR(self.optimizer, max_lr=1.0, epochs=epochs, steps_per_epoch=len(loader))

    def train_epoch(self):
        for x, y in self.loader:
            self.optimizer.zero_grad()
            self.model(x).sum().backward()
            self.optimizer.step()
            self.scheduler.step()

    def fit(self):
        for epoch in range(self.epochs):
            self.train_epoch()
            self.save(epoch)

    def save(self, epoch):
        torch.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                    "scheduler": self.scheduler.state_dict(), "epoch": epoch}, f"ckpt{epoch}.pt")

    def load(self, path):
        state = torch.load(path)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
