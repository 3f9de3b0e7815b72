"""Stable Diffusion parts of the course: inspection, a hand-written sampling loop, the safety
checker over an image folder. Needs the `diffusion` extra (diffusers, transformers, torchvision)."""
