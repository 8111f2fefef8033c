"""Regression with early stopping; the plateau scheduler is fed the validation loss."""

import torch
from torch import nn
from torch.optim.lr_scheduler import ReduceLROnPlateau

from tabular import load_splits

train_loader, val_loader = load_splits(batch_size=256)
model = nn.Sequential(nn.Linear(54, 128), nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 1))
optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
scheduler = ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=4, min_lr=1e-6)
loss_fn = nn.MSELoss()
best, bad_epochs = float("inf"), 0


def evaluate():
    model.eval()
    with torch.no_grad():
        return sum(loss_fn(model(x), y).item() for x, y in val_loader) / len(val_loader)


for epoch in range(500):
    model.train()
    for x, y in train_loader:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()
    val_loss = evaluate()
    scheduler.step(val_loss)
    if val_loss < best - 1e-4:
        best, bad_epochs = val_loss, 0
        torch.save(model.state_dict(), "best.pt")
    else:
        bad_epochs += 1
        if bad_epochs > 20:
            break
