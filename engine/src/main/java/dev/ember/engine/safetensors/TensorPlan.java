package dev.ember.engine.safetensors;

import dev.ember.engine.model.ModelLoadException;
import dev.ember.engine.tensor.Dequant;
import dev.ember.engine.tensor.Quantize;
import dev.ember.engine.tensor.TensorType;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * How one tensor under its llama.cpp GGUF name is made from a checkpoint's safetensors data.
 * Most tensors are one stored tensor, used in place. A few need llama.cpp's conversions: stacking
 * per-expert matrices, permuting Llama's Q/K rows, splitting DeepSeek's {@code kv_b_proj}.
 * Those that only reorder whole byte ranges stay {@link Pieces} (copied once, or streamed by a
 * converter without a copy); those that reorder elements (a transpose) are {@link Computed}; the
 * Hub's MXFP4 blocks, reordered within each block but never decoded, are {@link Repacked}.
 *
 * <p>{@code shape} is in GGML order (row length first), as {@link dev.ember.engine.tensor.Tensor}.
 */
public sealed interface TensorPlan {
    String name();

    TensorType type();

    long[] shape();

    default long elements() {
        long n = 1;
        for (long d : shape()) n *= d;
        return n;
    }

    default int rowLength() { return Math.toIntExact(shape()[0]); }

    default long rows() { return elements() / shape()[0]; }

    /** Decodes rows {@code first .. first + count - 1} into {@code out} as floats (a converter's source). */
    void fillRows(long first, int count, float[] out);

    /** The tensor's bytes in GGUF layout: a view of the mapping when stored that way, else built once into {@code arena}. */
    MemorySegment bytes(Arena arena);

    /** Rows {@code first .. first + count - 1} as one view of the mapped file, or null when they are not stored contiguously. */
    MemorySegment contiguousRows(long first, long count);

    /** The concatenation of byte ranges of the mapped files, each a whole number of elements. */
    record Pieces(String name, TensorType type, long[] shape, List<MemorySegment> parts) implements TensorPlan {
        public Pieces {
            long total = 0;
            for (MemorySegment p : parts) total += p.byteSize();
            long need = type.bytesFor(elementsOf(shape));
            if (total != need) {
                throw new IllegalStateException(name + ": pieces hold " + total + " bytes, " + type + " " + Arrays.toString(shape) + " needs " + need);
            }
            parts = List.copyOf(parts);
        }

        static Pieces of(String name, TensorType type, long[] shape, MemorySegment data) {
            return new Pieces(name, type, shape, List.of(data));
        }

        @Override
        public void fillRows(long first, int count, float[] out) {
            long rowBytes = type.bytesFor(shape[0]);
            int k = rowLength();
            MemorySegment one = parts.size() == 1 ? parts.getFirst() : null;
            for (int r = 0; r < count; r++) {
                MemorySegment src = one != null ? one : MemorySegment.ofArray(copy((first + r) * rowBytes, rowBytes));
                long off = one != null ? (first + r) * rowBytes : 0;
                Dequant.row(type, src, off, k, out, r * k);
            }
        }

        @Override
        public MemorySegment bytes(Arena arena) {
            if (parts.size() == 1) return parts.getFirst();
            long total = type.bytesFor(elements());
            MemorySegment dst = arena.allocate(total, 64);
            long at = 0;
            for (MemorySegment p : parts) {
                MemorySegment.copy(p, 0, dst, at, p.byteSize());
                at += p.byteSize();
            }
            return dst;
        }

        @Override
        public MemorySegment contiguousRows(long first, long count) {
            long rowBytes = type.bytesFor(shape[0]);
            long from = first * rowBytes;
            long len = count * rowBytes;
            long at = 0;
            for (MemorySegment p : parts) {
                if (from >= at && from + len <= at + p.byteSize()) return p.asSlice(from - at, len);
                at += p.byteSize();
            }
            return null;
        }

        private byte[] copy(long from, long len) {
            byte[] out = new byte[Math.toIntExact(len)];
            long at = 0;
            int filled = 0;
            for (MemorySegment p : parts) {
                long end = at + p.byteSize();
                if (end > from && at < from + len) {
                    long s = Math.max(from, at);
                    long e = Math.min(from + len, end);
                    MemorySegment.copy(p, java.lang.foreign.ValueLayout.JAVA_BYTE, s - at, out, filled, (int) (e - s));
                    filled += (int) (e - s);
                }
                at = end;
            }
            return out;
        }
    }

    /** Rows computed as floats from the mapped data; stored (once) by encoding them to {@code type}, which is exact for values read from that type. */
    record Computed(String name, TensorType type, long[] shape, RowFiller filler) implements TensorPlan {
        /** Fills {@code out[0 .. count * rowLength)} with rows {@code first ..}. */
        @FunctionalInterface
        public interface RowFiller {
            void fill(long first, int count, float[] out);
        }

        @Override
        public void fillRows(long first, int count, float[] out) {
            filler.fill(first, count, out);
        }

        @Override
        public MemorySegment bytes(Arena arena) {
            int k = rowLength();
            long rowBytes = type.bytesFor(k);
            MemorySegment dst = arena.allocate(rowBytes * rows(), 64);
            float[] row = new float[k];
            for (long r = 0; r < rows(); r++) {
                filler.fill(r, 1, row);
                Quantize.encode(type, row, 0, k, dst, r * rowBytes);
            }
            return dst;
        }

        @Override
        public MemorySegment contiguousRows(long first, long count) { return null; }
    }

    /**
     * Rows rearranged byte by byte into {@code type}'s own block layout, without decoding them (the
     * Hub's MXFP4 experts as GGUF MXFP4, {@link HubMxfp4}): stored by packing every row once;
     * decoded, for a converter, one packed row at a time.
     */
    record Repacked(String name, TensorType type, long[] shape, RowPacker packer) implements TensorPlan {
        /** Writes row {@code row}'s {@code type.bytesFor(rowLength)} bytes at {@code dst[at ..]}. */
        @FunctionalInterface
        public interface RowPacker {
            void pack(long row, MemorySegment dst, long at);
        }

        @Override
        public void fillRows(long first, int count, float[] out) {
            int k = rowLength();
            MemorySegment row = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytesFor(k))]);
            for (int r = 0; r < count; r++) {
                packer.pack(first + r, row, 0);
                Dequant.row(type, row, 0, k, out, r * k);
            }
        }

        @Override
        public MemorySegment bytes(Arena arena) {
            long rowBytes = type.bytesFor(rowLength());
            MemorySegment dst = arena.allocate(rowBytes * rows(), 64);
            for (long r = 0; r < rows(); r++) packer.pack(r, dst, r * rowBytes);
            return dst;
        }

        @Override
        public MemorySegment contiguousRows(long first, long count) { return null; }
    }

    /**
     * An integer lookup table (DeepSeek-V4's {@code tid2eid}), held as GGUF's I32 whatever the
     * checkpoint's width: I32 is used in place, I64 is narrowed (checked) once at first use.
     */
    record Integers(String name, long[] shape, MemorySegment data, int width) implements TensorPlan {
        private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

        @Override public TensorType type() { return TensorType.I32; }

        private long at(long i) {
            return width == 8 ? data.get(LE_LONG, 8 * i)
                    : data.get(LE_INT, 4 * i);
        }

        /** As floats, exact below 2^24 (expert ids are far below). */
        @Override
        public void fillRows(long first, int count, float[] out) {
            int k = rowLength();
            for (int i = 0; i < count * k; i++) out[i] = at(first * k + i);
        }

        @Override
        public MemorySegment bytes(Arena arena) {
            if (width == 4) return data;
            MemorySegment dst = arena.allocate(4 * elements(), 64);
            for (long i = 0; i < elements(); i++) {
                long v = at(i);
                if (v != (int) v) throw new ModelLoadException(name + ": value " + v + " at " + i + " does not fit I32");
                dst.set(LE_INT, 4 * i, (int) v);
            }
            return dst;
        }

        @Override
        public MemorySegment contiguousRows(long first, long count) { return null; }
    }

    private static long elementsOf(long[] shape) {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
