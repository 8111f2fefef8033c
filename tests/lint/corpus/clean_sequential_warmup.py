"""ViT from scratch: 5 warmup epochs then cosine, composed with SequentialLR."""

import torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR

from vit import VisionTransformer, imagenet_loader

EPOCHS = 300
WARMUP_EPOCHS = 5

model = VisionTransformer(depth=12, dim=384, heads=6).cuda()
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
warmup = LinearLR(optimizer, start_factor=0.01, total_iters=WARMUP_EPOCHS)
cosine = CosineAnnealingLR(optimizer, T_max=EPOCHS - WARMUP_EPOCHS, eta_min=1e-5)
scheduler = SequentialLR(optimizer, schedulers=[warmup, cosine], milestones=[WARMUP_EPOCHS])
loader = imagenet_loader(batch_size=256)
criterion = torch.nn.CrossEntropyLoss(label_smoothing=0.1)

for epoch in range(EPOCHS):
    model.train()
    for images, targets in loader:
        images, targets = images.cuda(non_blocking=True), targets.cuda(non_blocking=True)
        loss = criterion(model(images), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    scheduler.step()
    print(f"[{epoch:03d}] lr={scheduler.get_last_lr()[0]:.2e} loss={loss.item():.3f}")
