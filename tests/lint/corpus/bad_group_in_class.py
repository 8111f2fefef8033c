"""A module whose activation is an attribute; a parameter group was built from it."""

import torch
from torch import nn


class Classifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.act = nn.GELU()
        self.head = nn.Linear(16, 5)

    def forward(self, x):
        return self.head(self.act(self.backbone(x)))


model = Classifier()
optimizer = torch.optim.SGD(
    [
        {"params": model.backbone.parameters(), "lr": 1e-3},
        {"params": model.act.parameters(), "lr": 1e-2},
    ],
    lr=1e-2,
    momentum=0.9,
)
