"""Kaggle-notebook style: a local get_scheduler() picks the class from a config; folds; batch scheduler flag."""

import torch, torch.nn as nn
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts, ReduceLROnPlateau, OneCycleLR
CFG = {"epochs": 10, "lr": 1e-3, "scheduler": "cosine", "batch_scheduler": True}

def get_scheduler(optimizer):
    if CFG["scheduler"] == "cosine":
        scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=10)
    elif CFG["scheduler"] == "onecycle":
        scheduler = OneCycleLR(optimizer, max_lr=1e-2, total_steps=1000)
    else:
        scheduler = ReduceLROnPlateau(optimizer)
    return scheduler

def train_fn(loader, model, optimizer, scheduler):
    model.train()
    for step, (x, y) in enumerate(loader):
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        if CFG["batch_scheduler"]:
            scheduler.step()

def valid_fn(loader, model):
    model.eval()
    with torch.no_grad():
        return sum(nn.functional.mse_loss(model(x), y).item() for x, y in loader)

for fold in range(5):
    model = nn.Linear(3, 1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=CFG["lr"])
    scheduler = get_scheduler(optimizer)
    for epoch in range(CFG["epochs"]):
        train_fn(train_loader, model, optimizer, scheduler)
        val_loss = valid_fn(valid_loader, model)
        if isinstance(scheduler, ReduceLROnPlateau):
            scheduler.step(val_loss)
        elif isinstance(scheduler, CosineAnnealingWarmRestarts):
            scheduler.step()
        torch.save({"model": model.state_dict()}, f"fold{fold}.pth")
