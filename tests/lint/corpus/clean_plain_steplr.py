"""CIFAR-10 ResNet training: a plain loop, StepLR once per epoch, checkpoints with both states."""

import argparse
import os

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader

from mymodels import resnet18, cifar10

EPOCHS = 90


def train_one_epoch(model, loader, optimizer, device):
    model.train()
    total = 0.0
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / len(loader)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default="runs/resnet18")
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = resnet18(num_classes=10).to(device)
    loader = DataLoader(cifar10(train=True), batch_size=128, shuffle=True, num_workers=4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=30, gamma=0.1)
    os.makedirs(args.out, exist_ok=True)
    for epoch in range(EPOCHS):
        loss = train_one_epoch(model, loader, optimizer, device)
        scheduler.step()
        print(f"epoch {epoch} loss {loss:.4f} lr {scheduler.get_last_lr()[0]:.5f}")
        torch.save(
            {
                "epoch": epoch,
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
            },
            os.path.join(args.out, "last.pt"),
        )


if __name__ == "__main__":
    main()
