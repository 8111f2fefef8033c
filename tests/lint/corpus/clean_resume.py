"""Resume: the scheduler exists before the optimizer's state is restored, and both are loaded."""

import os

import torch
from torch import nn, optim

from project import build_model, loaders

CKPT = "checkpoints/last.pt"
EPOCHS = 120

model = build_model()
optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[60, 90], gamma=0.1)
start_epoch = 0
if os.path.exists(CKPT):
    state = torch.load(CKPT, map_location="cpu")
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    start_epoch = state["epoch"] + 1

train_loader, _ = loaders()
criterion = nn.CrossEntropyLoss()
for epoch in range(start_epoch, EPOCHS):
    for inputs, targets in train_loader:
        optimizer.zero_grad()
        criterion(model(inputs), targets).backward()
        optimizer.step()
    scheduler.step()
    checkpoint = {"epoch": epoch, "model": model.state_dict()}
    checkpoint["optimizer"] = optimizer.state_dict()
    checkpoint["scheduler"] = scheduler.state_dict()
    torch.save(checkpoint, CKPT)
