"""An accelerate training loop in the style of the transformers examples."""

import os

import torch
from accelerate import Accelerator
from transformers import AutoModelForCausalLM, get_scheduler

from data import build_dataloader

num_train_epochs = 2
gradient_accumulation_steps = 4
output_dir = "out"

accelerator = Accelerator(gradient_accumulation_steps=gradient_accumulation_steps)
model = AutoModelForCausalLM.from_pretrained("gpt2")
train_dataloader = build_dataloader(batch_size=8)
optimizer = torch.optim.AdamW(model.parameters(), lr=5e-5)
max_train_steps = num_train_epochs * len(train_dataloader) // gradient_accumulation_steps
lr_scheduler = get_scheduler(
    name="cosine",
    optimizer=optimizer,
    num_warmup_steps=100,
    num_training_steps=max_train_steps,
)
model, optimizer, train_dataloader, lr_scheduler = accelerator.prepare(
    model, optimizer, train_dataloader, lr_scheduler
)

completed_steps = 0
for epoch in range(num_train_epochs):
    model.train()
    for step, batch in enumerate(train_dataloader):
        with accelerator.accumulate(model):
            outputs = model(**batch)
            accelerator.backward(outputs.loss)
            optimizer.step()
            lr_scheduler.step()
            optimizer.zero_grad()
        if accelerator.sync_gradients:
            completed_steps += 1
        if completed_steps >= max_train_steps:
            break
    if accelerator.is_main_process:
        torch.save(optimizer.state_dict(), os.path.join(output_dir, "optimizer.pt"))
        torch.save(lr_scheduler.state_dict(), os.path.join(output_dir, "scheduler.pt"))
