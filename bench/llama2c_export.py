# Writes the decode benchmark's F32 model (HF safetensors) as a llama2.c legacy checkpoint, for timing only
# (random weights; llama2.c's interleaved RoPE pairs make its tokens differ, which does not matter for speed).
import json, struct, sys
src, dst = sys.argv[1], sys.argv[2]
cfg = json.load(open(src + "/config.json"))
f = open(src + "/model.safetensors", "rb")
n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); base = 8 + n
def raw(name):
    e = h[name]; assert e["dtype"] == "F32", e["dtype"]
    f.seek(base + e["data_offsets"][0]); return f.read(e["data_offsets"][1] - e["data_offsets"][0])
dim, hid, L, H = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
kv, V, S = cfg.get("num_key_value_heads", H), cfg["vocab_size"], cfg["max_position_embeddings"]
shared = cfg.get("tie_word_embeddings", False)
out = open(dst, "wb")
out.write(struct.pack("<7i", dim, hid, L, H, kv, V if shared else -V, S))
out.write(raw("model.embed_tokens.weight"))
for part in ["input_layernorm", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.o_proj",
             "post_attention_layernorm", "mlp.gate_proj", "mlp.down_proj", "mlp.up_proj"]:
    for i in range(L): out.write(raw(f"model.layers.{i}.{part}.weight"))
out.write(raw("model.norm.weight"))
out.write(b"\0" * (4 * S * (dim // H // 2) * 2))   # the legacy freq_cis tables run.c skips
if not shared: out.write(raw("lm_head.weight"))
out.close()
