"""lrkit.compat's OneCycleLR (a drop-in for torch's) stepped once per epoch."""

import torch
from lrkit.compat import OneCycleLR

from audio import Conformer, librispeech

epochs = 50
model = Conformer()
loader = librispeech(batch_size=24)
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
scheduler = OneCycleLR(optimizer, max_lr=2e-3, total_steps=epochs * len(loader))


def train_one_epoch():
    for batch in loader:
        loss = model.loss(batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


for epoch in range(epochs):
    train_one_epoch()
    scheduler.step()
