"""accelerate with gradient accumulation: the prepared schedule is sized in micro-batches."""
import torch
from accelerate import Accelerator
from transformers import get_linear_schedule_with_warmup

accumulation = 8
num_epochs = 3
accelerator = Accelerator(gradient_accumulation_steps=accumulation)
model = torch.nn.Linear(16, 2)
optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5)
train_dataloader = torch.utils.data.DataLoader(torch.randn(4096, 16), batch_size=16)
lr_scheduler = get_linear_schedule_with_warmup(
    optimizer,
    num_warmup_steps=100 * accumulation,
    num_training_steps=len(train_dataloader) * num_epochs,
)
model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare(
    model, optimizer, train_dataloader, lr_scheduler
)
for epoch in range(num_epochs):
    for batch in train_dataloader:
        with accelerator.accumulate(model):
            loss = model(batch).pow(2).mean()
            accelerator.backward(loss)
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
