"""A DINOv2 checkpoint as a pathodino backbone file, with its heads when it has them.

    convert_dinov2_checkpoint.py IN OUT.safetensors [--num-heads N] [--mean M M M --std S S S]

IN is what DINOv2 users have: the teacher_checkpoint.pth that dinov2/train/train.py writes
({"teacher": backbone.*, dino_head.*, ibot_head.*}), a full training checkpoint ({"model": ...}:
its teacher.* tensors), a torch.hub backbone (dinov2_vitb14_pretrain.pth: bare DINOv2 names), or
the same as safetensors (RAD-DINO's DINOv2-compatible backbone). Chunked blocks (ViT-g:
blocks.<chunk>.<index>.*) are flattened. The architecture is read from the tensor shapes; the
number of attention heads is not in them, and DINOv2's models all use 64 dimensions per head,
which is the default. OUT follows Note [Backbone with heads] (models/interchange/backbone_file.h):
`model.pretrained: OUT` starts a run's backbone, and its heads where OUT has them; without heads,
`optim.heads_only_steps` trains fresh heads against the loaded backbone first.
"""
import argparse
import json
import re

import torch
from safetensors.torch import load_file, save_file

SIZES = {192: "vit_tiny", 384: "vit_small", 768: "vit_base", 1024: "vit_large", 1536: "vit_giant"}


def load_state(path):
    """The teacher's tensors by DINOv2 name, whatever container holds them."""
    state = load_file(path) if path.endswith(".safetensors") else torch.load(path, map_location="cpu",
                                                                             weights_only=True)
    if "teacher" in state and isinstance(state["teacher"], dict):
        state = state["teacher"]
    elif "model" in state and isinstance(state["model"], dict):
        state = {k[len("teacher."):]: v for k, v in state["model"].items() if k.startswith("teacher.")}
    if not any(k.startswith("backbone.") for k in state):
        state = {"backbone." + k: v for k, v in state.items()}
    # Chunked blocks keep their global index inside the chunk: blocks.<chunk>.<index>.
    return {re.sub(r"^backbone\.blocks\.\d+\.(\d+)\.", r"backbone.blocks.\1.", k): v.float().contiguous()
            for k, v in state.items()}


def backbone_metadata(state, num_heads, mean, std, origin):
    """The metadata pathodino's reader needs (models/interchange/backbone_file.cpp)."""
    dim = state["backbone.cls_token"].shape[-1]
    if dim not in SIZES:
        raise SystemExit(f"embedding width {dim} is none of DINOv2's sizes {sorted(SIZES)}")
    patch = state["backbone.patch_embed.proj.weight"].shape[-1]
    grid = round((state["backbone.pos_embed"].shape[1] - 1) ** 0.5)
    depth = len({k.split(".")[2] for k in state if k.startswith("backbone.blocks.")})
    registers = state["backbone.register_tokens"].shape[1] if "backbone.register_tokens" in state else 0
    swiglu = "backbone.blocks.0.mlp.w12.weight" in state
    layerscale = "backbone.blocks.0.ls1.gamma" in state
    return {
        "format": "pathodino-backbone/1", "architecture": f"{SIZES[dim]}_patch{patch}"
        + (f"_reg{registers}" if registers else ""), "size": SIZES[dim], "embed_dim": str(dim),
        "depth": str(depth), "num_heads": str(num_heads or dim // 64), "patch_size": str(patch),
        "img_size": str(grid * patch), "num_register_tokens": str(registers),
        "ffn": "swiglu" if swiglu else "mlp", "layerscale_init": "1e-05" if layerscale else "0.0",
        "qkv_bias": "true" if "backbone.blocks.0.attn.qkv.bias" in state else "false",
        "interpolate_offset": "0.1", "image_mean": json.dumps(mean), "image_std": json.dumps(std),
        "mpp": "[]", "origin": origin,
    }


def head_shape(state, name):
    """A DINOHead's sizes from its tensors (one Linear as `mlp`, or a Sequential mlp.0, .2, ...)."""
    v = state[f"{name}.last_layer.weight_v"]
    layers = sorted(int(k.split(".")[2]) for k in state if re.match(rf"{name}\.mlp\.\d+\.weight$", k))
    hidden = state[f"{name}.mlp.0.weight"].shape[0] if layers else 2048
    return {"n_prototypes": v.shape[0], "hidden_dim": hidden, "bottleneck_dim": v.shape[1],
            "nlayers": len(layers) or 1}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--num-heads", type=int, default=0, help="attention heads (default: width / 64)")
    parser.add_argument("--mean", type=float, nargs=3, default=[0.485, 0.456, 0.406])
    parser.add_argument("--std", type=float, nargs=3, default=[0.229, 0.224, 0.225])
    args = parser.parse_args()
    state = load_state(args.input)
    meta = backbone_metadata(state, args.num_heads, args.mean, args.std, f"converted from {args.input}")
    if "backbone.mask_token" not in state:  # DINOv2 builds one; a backbone export may drop it
        state["backbone.mask_token"] = torch.zeros(1, state["backbone.cls_token"].shape[-1])
    if "dino_head.last_layer.weight_v" in state:
        meta["heads"] = json.dumps({"dino_head": head_shape(state, "dino_head"),
                                    "ibot_head": head_shape(state, "ibot_head")
                                    if "ibot_head.last_layer.weight_v" in state else "dino_head"})
    else:  # a plain backbone keeps the names timm and pathodino read without a prefix
        state = {k[len("backbone."):]: v for k, v in state.items() if k.startswith("backbone.")}
    save_file(state, args.output, metadata=meta)
    heads = "with heads" if "heads" in meta else "backbone only"
    print(f"{args.output}: {meta['architecture']} at {meta['img_size']} px, {heads}, {len(state)} tensors")


if __name__ == "__main__":
    main()
