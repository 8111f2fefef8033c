"""5-fold cross-validation: a fresh model, optimizer and cosine schedule for every fold."""

import torch
from torch import nn

from tabular import fold_loaders

N_FOLDS = 5
EPOCHS = 30

scores = []
for fold in range(N_FOLDS):
    train_loader, val_loader = fold_loaders(fold, N_FOLDS)
    model = nn.Sequential(nn.Linear(40, 64), nn.SiLU(), nn.Linear(64, 1))
    optimizer = torch.optim.AdamW(model.parameters(), lr=2e-3)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
    for epoch in range(EPOCHS):
        for x, y in train_loader:
            optimizer.zero_grad()
            nn.functional.binary_cross_entropy_with_logits(model(x).squeeze(1), y).backward()
            optimizer.step()
        scheduler.step()
    with torch.no_grad():
        scores.append(sum((model(x).squeeze(1) > 0).eq(y > 0.5).float().mean().item() for x, y in val_loader))
print(sum(scores) / N_FOLDS)
