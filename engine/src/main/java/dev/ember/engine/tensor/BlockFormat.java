package dev.ember.engine.tensor;

import java.lang.foreign.MemorySegment;

/**
 * Everything about one stored element type's block layout, in one place: elements and bytes per
 * block, the scalar reference decoder, and the encoder where Ember has one. {@link TensorType}
 * holds one per type; {@link Dequant}, {@link Quantize}, the kernels and the GGUF reader and writer
 * look a type's geometry and codecs up here instead of switching on the type.
 *
 * <p>The decoder is the definition of what a stored element means: it must give exactly the floats
 * gguf-py's {@code dequantize} gives (the same IEEE float operations in the same order; checked bit
 * for bit by {@code QuantFixturesTest} against fixtures from {@code tools/fixtures/make_quant_fixtures.py}).
 * Plain float types are "blocks" of one element.
 *
 * @param blockSize elements per block
 * @param blockBytes bytes per block
 * @param decoder decodes whole blocks to floats (null for integer tables, which are never weights)
 * @param encoder encodes floats to whole blocks, or null when Ember has no quantizer for the type
 */
public record BlockFormat(int blockSize, int blockBytes, Decoder decoder, Encoder encoder) {

    /** Decodes {@code blocks} consecutive blocks at byte {@code offset} into {@code dst[off ..]}. */
    @FunctionalInterface
    public interface Decoder {
        void decode(MemorySegment data, long offset, int blocks, float[] dst, int off);
    }

    /** Encodes {@code n} floats (a whole number of blocks) from {@code src[off ..]} at byte {@code pos} of {@code dst}. */
    @FunctionalInterface
    public interface Encoder {
        void encode(float[] src, int off, int n, MemorySegment dst, long pos);
    }

    /** True when the type can be a matmul weight (every type but integer lookup tables). */
    public boolean isWeight() { return decoder != null; }

    public boolean canEncode() { return encoder != null; }

    /** Decodes {@code k} elements (whole blocks) of a row at byte {@code offset} into {@code dst[off .. off + k)}. */
    public void dequantizeRow(MemorySegment data, long offset, int k, float[] dst, int off) {
        decoder.decode(data, offset, k / blockSize, dst, off);
    }

    /** Decodes the one block at byte {@code block} into {@code dst[off .. off + blockSize)}. */
    public void dequantizeBlock(MemorySegment data, long block, float[] dst, int off) {
        decoder.decode(data, block, 1, dst, off);
    }

    /** Decodes a whole row of blocks in a loop over {@code block}: the common case of a {@link Decoder}. */
    static Decoder perBlock(BlockDecoder block, int blockSize, int blockBytes) {
        return (data, offset, blocks, dst, off) -> {
            for (int b = 0; b < blocks; b++) block.decode(data, offset + (long) blockBytes * b, dst, off + blockSize * b);
        };
    }

    /** One block's decoder. */
    @FunctionalInterface
    interface BlockDecoder {
        void decode(MemorySegment data, long block, float[] dst, int off);
    }

    /** Encodes a whole row of blocks in a loop over {@code block}. */
    static Encoder perBlock(BlockEncoder block, int blockSize, int blockBytes) {
        return (src, off, n, dst, pos) -> {
            for (int b = 0; b < n / blockSize; b++) block.encode(src, off + blockSize * b, dst, pos + (long) blockBytes * b);
        };
    }

    /** One block's encoder. */
    @FunctionalInterface
    interface BlockEncoder {
        void encode(float[] src, int off, MemorySegment dst, long block);
    }

    static BlockFormat quant(int blockSize, int blockBytes, BlockDecoder dec, BlockEncoder enc) {
        return new BlockFormat(blockSize, blockBytes, perBlock(dec, blockSize, blockBytes),
                enc == null ? null : perBlock(enc, blockSize, blockBytes));
    }
}
