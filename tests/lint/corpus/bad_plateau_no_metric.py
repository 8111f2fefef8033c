"""ReduceLROnPlateau stepped like the other schedulers: without the metric it needs."""

import torch
from torch import nn

from data import loaders

train_loader, val_loader = loaders()
model = nn.LSTM(input_size=16, hidden_size=64, num_layers=2, batch_first=True)
head = nn.Linear(64, 1)
params = list(model.parameters()) + list(head.parameters())
optimizer = torch.optim.Adam(params, lr=1e-3)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=5, factor=0.5)

for epoch in range(100):
    for seq, target in train_loader:
        out, _ = model(seq)
        loss = nn.functional.mse_loss(head(out[:, -1]), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with torch.no_grad():
        val = sum(nn.functional.mse_loss(head(model(s)[0][:, -1]), t).item() for s, t in val_loader)
    scheduler.step()
    print(f"epoch {epoch} val {val / len(val_loader):.4f}")
