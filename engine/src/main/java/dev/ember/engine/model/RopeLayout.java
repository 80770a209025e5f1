package dev.ember.engine.model;

/**
 * Which dimensions RoPE rotates together. GGUF llama checkpoints have Q/K permuted so that
 * adjacent pairs rotate ({@link #NORMAL}); Qwen, NeoX-style models rotate element i with
 * element i + rotDims/2 ({@link #NEOX}).
 */
public enum RopeLayout { NORMAL, NEOX }
