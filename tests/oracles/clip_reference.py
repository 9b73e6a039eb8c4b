"""Reference CLIP (Hugging Face CLIPModel architecture and weight names) for the parity tests.

Usage: clip_reference.py OUT_DIR [ACTIVATION [VOCAB_SIZE]]
Writes OUT_DIR/config.json and OUT_DIR/model.safetensors (a tiny random CLIP, the file format
written by hand with struct + json), the inputs pixels.bin (float32 [3,3,32,32]), ids.bin (int64
[3,16]), ends.bin (int64 [3]), replacement.bin (float32 [text hidden]), and the outputs computed
here in float64: image_embeds.bin, text_embeds.bin, text_embeds_replaced.bin (row 0's token at
position 2 replaced by the replacement vector), all float32.
"""
import json
import struct
import sys

import torch
import torch.nn.functional as F

out = sys.argv[1]
activation = sys.argv[2] if len(sys.argv) > 2 else "quick_gelu"
vocab_size = int(sys.argv[3]) if len(sys.argv) > 3 else 64
torch.manual_seed(1234)

vision = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
              image_size=32, patch_size=8, num_channels=3, hidden_act=activation, layer_norm_eps=1e-5)
text = dict(hidden_size=24, intermediate_size=48, num_hidden_layers=2, num_attention_heads=2,
            vocab_size=vocab_size, max_position_embeddings=16, hidden_act=activation, layer_norm_eps=1e-5)
projection_dim = 16
config = {"architectures": ["CLIPModel"], "model_type": "clip", "projection_dim": projection_dim,
          "logit_scale_init_value": 2.6592, "text_config": text, "vision_config": vision}

W = {}


def linear(prefix, n_in, n_out, bias=True):
    W[prefix + ".weight"] = torch.randn(n_out, n_in) * (1.0 / n_in ** 0.5)
    if bias:
        W[prefix + ".bias"] = torch.randn(n_out) * 0.1


def norm(prefix, d):
    W[prefix + ".weight"] = 1.0 + 0.2 * torch.randn(d)
    W[prefix + ".bias"] = 0.2 * torch.randn(d)


def tower(prefix, cfg):
    d, f = cfg["hidden_size"], cfg["intermediate_size"]
    for i in range(cfg["num_hidden_layers"]):
        p = f"{prefix}.encoder.layers.{i}"
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            linear(f"{p}.self_attn.{name}", d, d)
        norm(f"{p}.layer_norm1", d)
        linear(f"{p}.mlp.fc1", d, f)
        linear(f"{p}.mlp.fc2", f, d)
        norm(f"{p}.layer_norm2", d)


dv, dt = vision["hidden_size"], text["hidden_size"]
grid = vision["image_size"] // vision["patch_size"]
W["vision_model.embeddings.class_embedding"] = torch.randn(dv)
W["vision_model.embeddings.patch_embedding.weight"] = torch.randn(dv, 3, 8, 8) * (1.0 / (3 * 64) ** 0.5)
W["vision_model.embeddings.position_embedding.weight"] = 0.5 * torch.randn(grid * grid + 1, dv)
norm("vision_model.pre_layrnorm", dv)
tower("vision_model", vision)
norm("vision_model.post_layernorm", dv)
W["visual_projection.weight"] = torch.randn(projection_dim, dv) * (1.0 / dv ** 0.5)
W["text_model.embeddings.token_embedding.weight"] = torch.randn(text["vocab_size"], dt)
W["text_model.embeddings.position_embedding.weight"] = 0.5 * torch.randn(text["max_position_embeddings"], dt)
tower("text_model", text)
norm("text_model.final_layer_norm", dt)
W["text_projection.weight"] = torch.randn(projection_dim, dt) * (1.0 / dt ** 0.5)
W["logit_scale"] = torch.tensor(2.6592)
# Hugging Face checkpoints may carry buffers the model does not need; the reader must ignore them.
W["text_model.embeddings.position_ids"] = torch.arange(text["max_position_embeddings"]).unsqueeze(0)


def write_safetensors(path, tensors):
    names = {torch.float32: "F32", torch.int64: "I64"}
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors, key=lambda n: (-tensors[n].element_size(), n)):
        t = tensors[name].contiguous()
        data = t.numpy().tobytes()
        header[name] = {"dtype": names[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text_header = json.dumps(header).encode()
    text_header += b" " * ((8 - len(text_header) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text_header)))
        f.write(text_header)
        for blob in blobs:
            f.write(blob)


with open(f"{out}/config.json", "w") as f:
    json.dump(config, f, indent=2)
write_safetensors(f"{out}/model.safetensors", W)

# The reference forward pass, in float64.
P = {k: v.double() for k, v in W.items()}


def act(x):
    if activation == "quick_gelu":
        return x * torch.sigmoid(1.702 * x)
    if activation == "gelu":
        return F.gelu(x)
    return F.gelu(x, approximate="tanh")


def encoder(x, prefix, cfg, mask):
    heads, eps = cfg["num_attention_heads"], cfg["layer_norm_eps"]
    B, T, D = x.shape
    dh = D // heads
    for i in range(cfg["num_hidden_layers"]):
        p = f"{prefix}.encoder.layers.{i}"
        lin = lambda name, h: F.linear(h, P[f"{p}.{name}.weight"], P[f"{p}.{name}.bias"])
        h = F.layer_norm(x, (D,), P[f"{p}.layer_norm1.weight"], P[f"{p}.layer_norm1.bias"], eps)
        q = (lin("self_attn.q_proj", h) * dh ** -0.5).view(B, T, heads, dh).transpose(1, 2)
        k = lin("self_attn.k_proj", h).view(B, T, heads, dh).transpose(1, 2)
        v = lin("self_attn.v_proj", h).view(B, T, heads, dh).transpose(1, 2)
        s = q @ k.transpose(-1, -2)
        if mask is not None:
            s = s + mask
        o = (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, D)
        x = x + lin("self_attn.out_proj", o)
        h = F.layer_norm(x, (D,), P[f"{p}.layer_norm2.weight"], P[f"{p}.layer_norm2.bias"], eps)
        x = x + lin("mlp.fc2", act(lin("mlp.fc1", h)))
    return x


def image_features(pixels):
    B = pixels.shape[0]
    e = F.conv2d(pixels, P["vision_model.embeddings.patch_embedding.weight"], stride=vision["patch_size"])
    e = e.flatten(2).transpose(1, 2)
    cls = P["vision_model.embeddings.class_embedding"].view(1, 1, -1).expand(B, 1, dv)
    x = torch.cat([cls, e], 1) + P["vision_model.embeddings.position_embedding.weight"].unsqueeze(0)
    x = F.layer_norm(x, (dv,), P["vision_model.pre_layrnorm.weight"], P["vision_model.pre_layrnorm.bias"], 1e-5)
    x = encoder(x, "vision_model", vision, None)
    pooled = F.layer_norm(x[:, 0], (dv,), P["vision_model.post_layernorm.weight"], P["vision_model.post_layernorm.bias"], 1e-5)
    return pooled @ P["visual_projection.weight"].T


def text_features(embedded, ends):
    B, T, _ = embedded.shape
    x = embedded + P["text_model.embeddings.position_embedding.weight"][:T].unsqueeze(0)
    mask = torch.full((T, T), float("-inf"), dtype=torch.float64).triu(1)
    x = encoder(x, "text_model", text, mask)
    x = F.layer_norm(x, (dt,), P["text_model.final_layer_norm.weight"], P["text_model.final_layer_norm.bias"], 1e-5)
    return x[torch.arange(B), ends] @ P["text_projection.weight"].T


pixels = torch.randn(3, 3, 32, 32)
T, end_token = text["max_position_embeddings"], text["vocab_size"] - 1
ids = torch.zeros(3, T, dtype=torch.int64)
ends = torch.tensor([4, 9, T - 1])
for row, end in enumerate(ends.tolist()):
    ids[row, 0] = end_token - 1
    ids[row, 1:end] = torch.randint(1, end_token - 1, (end - 1,))
    ids[row, end] = end_token
assert torch.equal(ids.argmax(-1), ends)  # Hugging Face pools at argmax(ids); the same positions
replacement = torch.randn(dt)

embedded = P["text_model.embeddings.token_embedding.weight"][ids]
replaced = embedded.clone()
replaced[0, 2] = replacement.double()

pixels.numpy().tofile(f"{out}/pixels.bin")
ids.numpy().tofile(f"{out}/ids.bin")
ends.numpy().tofile(f"{out}/ends.bin")
replacement.numpy().tofile(f"{out}/replacement.bin")
image_features(pixels.double()).float().numpy().tofile(f"{out}/image_embeds.bin")
text_features(embedded, ends).float().numpy().tofile(f"{out}/text_embeds.bin")
text_features(replaced, ends).float().numpy().tofile(f"{out}/text_embeds_replaced.bin")
print("ok")
