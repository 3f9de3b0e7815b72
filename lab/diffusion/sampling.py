"""The sampling loop of homework exercise 1.3, written out step by step rather than calling the
pipeline: classifier-free guidance with a PNDM (PLMS) scheduler, decoding through the VAE."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from diffusers.utils.torch_utils import randn_tensor

from lab.diffusion.components import native_size, vae_scale_factor


@dataclass
class Sample:
    """The four tensors data flows through, the final image in [0, 1], and decoded intermediates."""

    text_tokens: torch.Tensor  # 2 × 77 int64: ["", prompt]
    text_vectors: torch.Tensor  # 2 × 77 × hidden
    image_vectors: torch.Tensor  # 1 × 4 × h/8 × w/8 latents at the end of the loop
    rgb_vectors: torch.Tensor  # 1 × 3 × h × w, the VAE's output in [−1, 1]
    intermediates: list[torch.Tensor] = field(default_factory=list)  # each 3 × h × w in [0, 1]

    @property
    def image(self) -> torch.Tensor:
        """The final image, 1 × 3 × h × w in [0, 1]."""
        return to_unit_range(self.rgb_vectors)


def to_unit_range(rgb: torch.Tensor) -> torch.Tensor:
    """The VAE's output in [−1, 1] as an image in [0, 1], in float32."""
    return (rgb.float() / 2 + 0.5).clamp(0, 1)


@torch.no_grad()
def sample(pipe, prompt: str, seed: int = 0, steps: int = 33, guidance: float = 5.0,
           size: int | None = None, every: int = 6,
           callback: Callable[[int, int], None] | None = None) -> Sample:
    """One image for `prompt`, by the loop below; `callback(step, total)` after each step."""
    unet, vae, scheduler, tokenizer = pipe.unet, pipe.vae, pipe.scheduler, pipe.tokenizer
    device, dtype = unet.device, unet.dtype
    scale = vae_scale_factor(vae.config)
    size = size or native_size(vae.config, unet.config)

    # 1. tokenize the empty prompt (for the unconditional half of guidance) and the prompt, padded
    # to the positions the text encoder has (a tokenizer config may claim any length, or none)
    length = min(tokenizer.model_max_length, pipe.text_encoder.config.max_position_embeddings)
    text_tokens = tokenizer(["", prompt], padding="max_length", max_length=length,
                            truncation=True, return_tensors="pt").input_ids
    # 2. encode both into one vector per token position
    text_vectors = pipe.text_encoder(text_tokens.to(device))[0]
    # 3. start from seeded Gaussian latents, scaled to the scheduler's first noise level
    generator = torch.Generator("cpu").manual_seed(seed)
    shape = (1, unet.config.in_channels, size // scale, size // scale)
    latents = randn_tensor(shape, generator=generator, device=device, dtype=dtype)
    latents = latents * scheduler.init_noise_sigma
    # 4. choose the timesteps
    scheduler.set_timesteps(steps, device=device)
    intermediates = []
    # 5. denoise
    for i, t in enumerate(scheduler.timesteps):
        if i % every == 0:  # keep a decoded picture of where the loop is
            intermediates.append(to_unit_range(decode(vae, latents))[0].cpu())
        # two copies of the latents: one to denoise without the prompt, one with it
        model_input = scheduler.scale_model_input(torch.cat([latents] * 2), t)
        noise = unet(model_input, t, encoder_hidden_states=text_vectors).sample
        # classifier-free guidance: push from the unconditional estimate towards the prompt's
        uncond, text = noise.chunk(2)
        guided = uncond + guidance * (text - uncond)
        # one PLMS step to the next, less noisy latents
        latents = scheduler.step(guided, t, latents).prev_sample
        if callback:
            callback(i + 1, len(scheduler.timesteps))
    # 6. decode the final latents to RGB
    rgb = decode(vae, latents)
    intermediates.append(to_unit_range(rgb)[0].cpu())
    return Sample(text_tokens, text_vectors, latents, rgb, intermediates)


def decode(vae, latents: torch.Tensor) -> torch.Tensor:
    """VAE decode of latents scaled back by the VAE's scaling factor (0.18215 for SD v1)."""
    return vae.decode(latents / vae.config.scaling_factor).sample


def pipeline_image(pipe, prompt: str, seed: int, steps: int, guidance: float, size: int) -> torch.Tensor:
    """diffusers' own StableDiffusionPipeline.__call__ on the same settings, safety checker off,
    as a 1 × 3 × h × w tensor in [0, 1] — what our loop must reproduce."""
    checker = pipe.safety_checker
    pipe.safety_checker = None
    try:
        generator = torch.Generator("cpu").manual_seed(seed)
        return pipe(prompt, height=size, width=size, num_inference_steps=steps,
                    guidance_scale=guidance, generator=generator, output_type="pt").images
    finally:
        pipe.safety_checker = checker
