"""Stable Diffusion v1.4's four networks built from their published configuration values, and
small versions of the same architectures for an offline pipeline.

Built on torch.device("meta") the full-size networks cost no memory and no download, and their
parameter counts are exact: shapes are all a count needs."""

from __future__ import annotations

import torch
from diffusers import AutoencoderKL, UNet2DConditionModel
from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
from transformers import CLIPConfig, CLIPTextConfig, CLIPTextModel

SD14_UNET = dict(
    sample_size=64, in_channels=4, out_channels=4, layers_per_block=2,
    block_out_channels=(320, 640, 1280, 1280),
    down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    cross_attention_dim=768, attention_head_dim=8,
)
SD14_VAE = dict(
    in_channels=3, out_channels=3, latent_channels=4, layers_per_block=2, sample_size=512,
    block_out_channels=(128, 256, 512, 512),
    down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4,
)
SD14_TEXT = dict(
    vocab_size=49408, hidden_size=768, intermediate_size=3072, num_attention_heads=12,
    num_hidden_layers=12, max_position_embeddings=77, hidden_act="quick_gelu", projection_dim=768,
)
SD14_SAFETY_VISION = dict(
    hidden_size=1024, intermediate_size=4096, num_attention_heads=16, num_hidden_layers=24,
    patch_size=14, image_size=224, projection_dim=768,
)

# The course's table (homework exercise 1.3.1): modules, parameter tensors, scalar parameters.
COURSE_TABLE = {
    "vae": (220, 248, 83_653_863),
    "text_encoder": (152, 196, 123_060_480),
    "unet": (686, 686, 859_520_964),
    "safety_checker": (299, 396, 303_981_588),
}


def safety_checker(vision: dict, text_hidden: int = 768, projection_dim: int = 768):
    """A StableDiffusionSafetyChecker whose CLIP vision tower has the given config."""
    config = CLIPConfig(text_config={"hidden_size": text_hidden, "projection_dim": projection_dim},
                        vision_config=vision, projection_dim=projection_dim)
    return StableDiffusionSafetyChecker(config)


def build_sd14(device: str = "meta") -> dict[str, torch.nn.Module]:
    """v1.4's vae, text_encoder, unet and safety_checker, with no weights loaded."""
    with torch.device(device):
        return {
            "vae": AutoencoderKL(**SD14_VAE),
            "text_encoder": CLIPTextModel(CLIPTextConfig(**SD14_TEXT)),
            "unet": UNet2DConditionModel(**SD14_UNET),
            "safety_checker": safety_checker(SD14_SAFETY_VISION),
        }


def build_tiny(seed: int = 0) -> dict[str, torch.nn.Module]:
    """The same four architectures, small (thousands of parameters), seeded random weights."""
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=8, in_channels=4, out_channels=4, layers_per_block=1,
        block_out_channels=(8, 16), down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"), cross_attention_dim=16,
        attention_head_dim=2, norm_num_groups=4)
    vae = AutoencoderKL(
        in_channels=3, out_channels=3, latent_channels=4, layers_per_block=1,
        block_out_channels=(8, 16), down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2, norm_num_groups=4, sample_size=16)
    text = CLIPTextModel(CLIPTextConfig(
        vocab_size=TINY_VOCAB, hidden_size=16, intermediate_size=32, num_attention_heads=2,
        num_hidden_layers=2, max_position_embeddings=TINY_MAX_LENGTH, hidden_act="quick_gelu",
        projection_dim=16, bos_token_id=TINY_VOCAB - 2, eos_token_id=TINY_VOCAB - 1,
        pad_token_id=TINY_VOCAB - 1))
    checker = safety_checker(dict(hidden_size=16, intermediate_size=32, num_attention_heads=2,
                                  num_hidden_layers=2, patch_size=14, image_size=224,
                                  projection_dim=16), text_hidden=16, projection_dim=16)
    return {"unet": unet, "vae": vae, "text_encoder": text, "safety_checker": checker}


TINY_VOCAB = 2 * 256 + 2  # byte-level characters, each also with </w>, plus start and end
TINY_MAX_LENGTH = 77


def vae_scale_factor(vae_config) -> int:
    """Image pixels per latent cell along a side: the VAE halves the resolution between each pair
    of its blocks (8 for v1.4's four). Takes the config as a mapping (a loaded model's `.config`
    or its parsed config.json)."""
    return 2 ** (len(vae_config["block_out_channels"]) - 1)


def size_multiple(vae_config, unet_config) -> int:
    """What an image side must be a multiple of so that the UNet's down- and up-sampled latents
    line up: the VAE's factor times 2 per UNet level below the first (64 for v1.4)."""
    return vae_scale_factor(vae_config) * 2 ** (len(unet_config["block_out_channels"]) - 1)


def native_size(vae_config, unet_config) -> int:
    """The image side the model was built for: the UNet's sample size (in latent cells) times the
    VAE's factor (512 for v1.4)."""
    sample = unet_config["sample_size"]
    return (sample if isinstance(sample, int) else sample[0]) * vae_scale_factor(vae_config)


def count(module: torch.nn.Module) -> tuple[int, int, int]:
    """(submodules including itself, parameter tensors, scalar parameters)."""
    params = list(module.parameters())
    return len(list(module.modules())), len(params), sum(p.numel() for p in params)
