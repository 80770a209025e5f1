package dev.ember.engine.gguf;

import dev.ember.engine.tensor.TensorType;

/** A tensor's entry in the GGUF header; {@code offset} is relative to the start of the data section. */
public record GgufTensorInfo(String name, long[] shape, TensorType type, long offset, long byteSize) {}
