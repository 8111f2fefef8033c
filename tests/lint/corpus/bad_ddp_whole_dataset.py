"""DDP training whose OneCycleLR counts the batches of the whole data set."""

import os

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from torch.utils.data.distributed import DistributedSampler

from project import Net, TrainSet

EPOCHS = 40
BATCH_SIZE = 32

local_rank = int(os.environ["LOCAL_RANK"])
dist.init_process_group("nccl")
trainset = TrainSet("data/train")
sampler = DistributedSampler(trainset, shuffle=True)
loader = DataLoader(trainset, batch_size=BATCH_SIZE, sampler=sampler, num_workers=4)
net = DistributedDataParallel(Net().cuda(local_rank), device_ids=[local_rank])
optimizer = torch.optim.AdamW(net.parameters(), lr=1e-4)
scheduler = torch.optim.lr_scheduler.OneCycleLR(
    optimizer,
    max_lr=5e-4,
    epochs=EPOCHS,
    steps_per_epoch=len(trainset) // BATCH_SIZE,
)
scaler = torch.amp.GradScaler()

for epoch in range(EPOCHS):
    sampler.set_epoch(epoch)
    for images, targets in loader:
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast("cuda", dtype=torch.float16):
            loss = torch.nn.functional.l1_loss(net(images.cuda()), targets.cuda())
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()
