"""A tutorial-style plateau scheduler that still passes verbose=True (removed in torch 2.7)."""

import torch
from torch import nn, optim

from tutorial import get_data

train_loader, val_loader = get_data()
model = nn.Sequential(nn.Conv2d(1, 16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
optimizer = optim.Adam(model.parameters(), lr=1e-3)
scheduler = optim.lr_scheduler.ReduceLROnPlateau(optimizer, "min", factor=0.1, patience=3, verbose=True)
criterion = nn.CrossEntropyLoss()

for epoch in range(25):
    model.train()
    for images, labels in train_loader:
        optimizer.zero_grad()
        criterion(model(images), labels).backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        val_loss = sum(criterion(model(x), y).item() for x, y in val_loader) / len(val_loader)
    scheduler.step(val_loss)
    print(f"epoch {epoch}: val_loss={val_loss:.4f}")
