/** Importers and converters for checkpoints (HF safetensors, llama2.c, PyTorch .ckpt). */
package io.liquid4j.convert;
