"""Layer-wise rates where the second group points at the activation, not the layer."""

import torch
import torch.nn as nn

model = nn.Sequential(
    nn.Linear(64, 128),
    nn.ReLU(),
    nn.Linear(128, 128),
    nn.ReLU(),
    nn.Linear(128, 10),
)

optimizer = torch.optim.Adam([
    {"params": model[0].parameters(), "lr": 1e-4},
    {"params": model[3].parameters(), "lr": 1e-3},
    {"params": model[4].parameters(), "lr": 1e-2},
])

for epoch in range(20):
    for x, y in loader:
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
