"""The Stable Diffusion study behind the report's diffusion page: v1.4's counts from a build on
the meta device, the hand-written sampling loop and diffusers' pipeline on the embedded tiny model,
and the tensor shapes v1.4's configuration gives at full size."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Diffusion:
    """v1.4's counts, the tiny pipeline's sample, and the full-size shapes v1.4's config implies."""

    counts: list  # lab.diffusion.inspection.ComponentCount
    settings: dict  # prompt, seed, steps, guidance, dtype, device
    sample: object  # lab.diffusion.sampling.Sample
    pipeline_gap: float  # max |our image − StableDiffusionPipeline's|
    full_size: dict[str, tuple[int, ...]]
    latent_channels: int
    unet_in_channels: int
    scaling_factor: float


def diffusion(prompt: str = "a photograph of an astronaut riding a horse", seed: int = 0,
              steps: int = 33, guidance: float = 5.0) -> Diffusion:
    """v1.4's counts (built on the meta device), our loop and diffusers' pipeline on the embedded
    tiny model, and the tensor shapes v1.4's configuration gives at full size."""
    import torch

    from lab.diffusion.components import build_sd14
    from lab.diffusion.inspection import inspect_modules
    from lab.diffusion.pipeline import load_pipeline
    from lab.diffusion.sampling import pipeline_image, sample

    modules = build_sd14("meta")
    counts = inspect_modules(modules)
    device, dtype = torch.device("cpu"), torch.float32
    pipe, _ = load_pipeline(None, device, dtype)
    s = sample(pipe, prompt, seed=seed, steps=steps, guidance=guidance)
    theirs = pipeline_image(pipe, prompt, seed, steps, guidance, s.rgb_vectors.shape[-1])
    settings = dict(prompt=prompt, seed=seed, steps=steps, guidance=guidance,
                    dtype=str(dtype).replace("torch.", ""), device=str(device))
    vae, unet = modules["vae"].config, modules["unet"].config
    return Diffusion(counts, settings, s, float((theirs - s.image).abs().max()),
                     full_size_shapes(modules, s), vae.latent_channels, unet.in_channels,
                     float(vae.scaling_factor))


def full_size_shapes(modules: dict, s) -> dict[str, tuple[int, ...]]:
    """The loop's four tensors at v1.4's size: batch sizes from the loop that ran (`s`), every
    other dimension from the v1.4 configuration, as `lab.diffusion.sampling.sample` derives them."""
    from lab.diffusion.components import native_size

    text, unet, vae = modules["text_encoder"].config, modules["unet"].config, modules["vae"].config
    prompts, images = s.text_tokens.shape[0], s.image_vectors.shape[0]
    latent, pixels = unet.sample_size, native_size(vae, unet)
    return {"text_tokens": (prompts, text.max_position_embeddings),
            "text_vectors": (prompts, text.max_position_embeddings, text.hidden_size),
            "image_vectors": (images, unet.in_channels, latent, latent),
            "rgb_vectors": (images, vae.out_channels, pixels, pixels)}
