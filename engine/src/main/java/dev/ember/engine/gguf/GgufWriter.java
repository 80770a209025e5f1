package dev.ember.engine.gguf;

import dev.ember.engine.tensor.Quantize;
import dev.ember.engine.tensor.TensorType;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes GGUF version 3 files that llama.cpp and {@link GgufFile} read.
 *
 * <p>Metadata and tensor descriptions are collected first; {@link #write(Path, int)} then writes
 * the header and streams each tensor's data to its place in the file. Tensor data is never held in
 * full: {@link FloatRows} sources are asked for a bounded chunk of rows at a time and encoded
 * (quantized) on the fly, and {@link ByteSource}s write to a channel. Because every tensor's
 * offset is known from the header, chunks are written with positional writes and can be produced
 * on several threads at once; the bytes written do not depend on the thread count.
 *
 * <p>Layout follows llama.cpp's {@code gguf_write_to_buf}: the data section starts at the header
 * size rounded up to the alignment, tensors follow in the order they were added, each at an
 * aligned offset, and each is zero-padded to the alignment (the last one too). llama.cpp rejects
 * files whose tensors are not packed exactly like this.
 *
 * <p>The file is written to a temporary sibling and moved into place when complete, so a crash
 * or a failing source never leaves a truncated model under the requested name.
 */
public final class GgufWriter {
    /** Rows are produced in chunks of about this many elements (1 MiB of floats). */
    static final int CHUNK_ELEMENTS = 1 << 18;
    /** llama.cpp's GGML_MAX_NAME is 64 including the terminating NUL. */
    static final int MAX_TENSOR_NAME_BYTES = 63;
    private static final int MAX_DIMS = 4;

    /**
     * Produces float rows of a tensor, to be encoded to the tensor's type by the writer. A row is
     * {@code shape[0]} elements; a tensor has {@code elements / shape[0]} rows.
     */
    @FunctionalInterface
    public interface FloatRows {
        /**
         * Fills {@code out[0 .. rowCount * rowLength)} with rows {@code firstRow ..
         * firstRow + rowCount - 1}. Called for disjoint ranges, possibly from several threads at
         * once and in any order, so the result must depend on the row numbers only.
         */
        void fill(long firstRow, int rowCount, float[] out);
    }

    /** Produces a tensor's encoded bytes, in order. It must write exactly the tensor's byte size. */
    @FunctionalInterface
    public interface ByteSource {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    private record Kv(String key, GgufValueType type, GgufValueType elementType, Object value) {}

    private record Entry(String name, TensorType type, long[] shape, long byteSize, Object source) {
        long rows() {
            long n = 1;
            for (int i = 1; i < shape.length; i++) n *= shape[i];
            return n;
        }
    }

    private final Map<String, Kv> metadata = new LinkedHashMap<>();
    private final Map<String, Entry> tensors = new LinkedHashMap<>();
    private int alignment = GgufFile.DEFAULT_ALIGNMENT;
    private byte[] header; // cached; cleared by every change

    public GgufWriter() {}

    // ---- metadata -------------------------------------------------------------------------

    public GgufWriter putUInt8(String key, int value) { return put(key, GgufValueType.UINT8, checkRange(key, value, 0, 0xFF)); }
    public GgufWriter putInt8(String key, int value) { return put(key, GgufValueType.INT8, checkRange(key, value, Byte.MIN_VALUE, Byte.MAX_VALUE)); }
    public GgufWriter putUInt16(String key, int value) { return put(key, GgufValueType.UINT16, checkRange(key, value, 0, 0xFFFF)); }
    public GgufWriter putInt16(String key, int value) { return put(key, GgufValueType.INT16, checkRange(key, value, Short.MIN_VALUE, Short.MAX_VALUE)); }
    public GgufWriter putUInt32(String key, long value) { return put(key, GgufValueType.UINT32, checkRange(key, value, 0, 0xFFFFFFFFL)); }
    public GgufWriter putInt32(String key, int value) { return put(key, GgufValueType.INT32, (long) value); }
    /** {@code value}'s 64 bits are written as they are: pass values above 2^63 as negative longs. */
    public GgufWriter putUInt64(String key, long value) { return put(key, GgufValueType.UINT64, value); }
    public GgufWriter putInt64(String key, long value) { return put(key, GgufValueType.INT64, value); }
    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValueType.FLOAT32, (double) value); }
    public GgufWriter putFloat64(String key, double value) { return put(key, GgufValueType.FLOAT64, value); }
    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }

    public GgufWriter putString(String key, String value) {
        if (value == null) throw new IllegalArgumentException("metadata '" + key + "': null string");
        return put(key, GgufValueType.STRING, value);
    }

    public GgufWriter putStringArray(String key, String... values) { return putArray(key, GgufValueType.STRING, values); }
    public GgufWriter putStringArray(String key, List<String> values) { return putArray(key, GgufValueType.STRING, values.toArray(String[]::new)); }
    public GgufWriter putInt32Array(String key, int... values) { return putArray(key, GgufValueType.INT32, values); }
    public GgufWriter putFloat32Array(String key, float... values) { return putArray(key, GgufValueType.FLOAT32, values); }

    /**
     * An array of {@code elementType}. {@code values} is a {@code byte[]}, {@code short[]},
     * {@code int[]} or {@code long[]} for integer types (each element range-checked; UINT64 takes
     * the bits of a long), a {@code float[]} or {@code double[]} for FLOAT32/FLOAT64, a
     * {@code boolean[]} for BOOL, or a {@code String[]} for STRING. Arrays of arrays are not
     * supported, as llama.cpp does not read them.
     */
    public GgufWriter putArray(String key, GgufValueType elementType, Object values) {
        if (elementType == GgufValueType.ARRAY) throw new IllegalArgumentException("metadata '" + key + "': arrays of arrays are not supported");
        Object stored = switch (elementType) {
            case STRING -> {
                if (!(values instanceof String[] s)) throw arrayError(key, elementType, values);
                for (String v : s) if (v == null) throw new IllegalArgumentException("metadata '" + key + "': null string in array");
                yield s.clone();
            }
            case BOOL -> {
                if (!(values instanceof boolean[] b)) throw arrayError(key, elementType, values);
                yield b.clone();
            }
            case FLOAT32, FLOAT64 -> switch (values) {
                case float[] f -> { double[] d = new double[f.length]; for (int i = 0; i < f.length; i++) d[i] = f[i]; yield d; }
                case double[] d -> d.clone();
                default -> throw arrayError(key, elementType, values);
            };
            default -> {
                long[] l = switch (values) {
                    case byte[] b -> { long[] o = new long[b.length]; for (int i = 0; i < b.length; i++) o[i] = b[i]; yield o; }
                    case short[] s -> { long[] o = new long[s.length]; for (int i = 0; i < s.length; i++) o[i] = s[i]; yield o; }
                    case int[] a -> { long[] o = new long[a.length]; for (int i = 0; i < a.length; i++) o[i] = a[i]; yield o; }
                    case long[] a -> a.clone();
                    default -> throw arrayError(key, elementType, values);
                };
                for (long v : l) checkIntegerElement(key, elementType, v);
                yield l;
            }
        };
        return add(new Kv(key, GgufValueType.ARRAY, elementType, stored));
    }

    /**
     * A scalar of {@code type} given as the Java object {@link GgufFile#metadata()} returns for it
     * (any integral Number for integer types, any Number for floats, Boolean, String), or an
     * array as {@link #putArray} takes it when {@code type} is ARRAY and the element type is given
     * by {@code elementType}.
     */
    public GgufWriter put(String key, GgufValueType type, GgufValueType elementType, Object value) {
        if (type == GgufValueType.ARRAY) return putArray(key, elementType, value);
        return switch (type) {
            case UINT8 -> putUInt8(key, Math.toIntExact(integral(key, value)));
            case INT8 -> putInt8(key, Math.toIntExact(integral(key, value)));
            case UINT16 -> putUInt16(key, Math.toIntExact(integral(key, value)));
            case INT16 -> putInt16(key, Math.toIntExact(integral(key, value)));
            case UINT32 -> putUInt32(key, integral(key, value));
            case INT32 -> putInt32(key, Math.toIntExact(integral(key, value)));
            case UINT64 -> putUInt64(key, integral(key, value));
            case INT64 -> putInt64(key, integral(key, value));
            case FLOAT32 -> putFloat32(key, number(key, value).floatValue());
            case FLOAT64 -> putFloat64(key, number(key, value).doubleValue());
            case BOOL -> {
                if (!(value instanceof Boolean b)) throw new IllegalArgumentException("metadata '" + key + "': BOOL needs a Boolean, got " + GgufFile.describe(value));
                yield putBool(key, b);
            }
            case STRING -> {
                if (!(value instanceof String s)) throw new IllegalArgumentException("metadata '" + key + "': STRING needs a String, got " + GgufFile.describe(value));
                yield putString(key, s);
            }
            case ARRAY -> throw new AssertionError();
        };
    }

    /** Copies every metadata entry of {@code source}, in its order and with its exact types. */
    public GgufWriter putAll(GgufFile source) {
        for (Map.Entry<String, Object> e : source.metadata().entrySet()) {
            put(e.getKey(), source.metadataType(e.getKey()), source.metadataElementType(e.getKey()), e.getValue());
        }
        return this;
    }

    /** Sets {@code general.alignment} (a power of two): where tensor data and each tensor start. */
    public GgufWriter alignment(int bytes) {
        return putUInt32("general.alignment", bytes);
    }

    public int alignment() { return alignment; }

    // ---- tensors --------------------------------------------------------------------------

    /**
     * A tensor produced as float rows and encoded to {@code type} (any type {@link Quantize#canEncode} accepts)
     * while writing. {@code shape} is in GGML order (row length first).
     */
    public GgufWriter addTensor(String name, TensorType type, long[] shape, FloatRows rows) {
        if (!Quantize.canEncode(type) && type != TensorType.I32) throw new IllegalArgumentException("tensor '" + name + "': cannot encode floats as " + type);
        return addEntry(name, type, shape, rows);
    }

    /** An F32 tensor whose values are in memory (for small tensors and tests). */
    public GgufWriter addTensor(String name, float[] values, long... shape) {
        long[] s = shape.clone();
        long elements = elements(name, s);
        if (elements != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(s) + " has " + elements + " elements, given " + values.length);
        }
        float[] copy = values.clone();
        int rowLength = (int) s[0];
        return addEntry(name, TensorType.F32, s,
                (FloatRows) (first, count, out) -> System.arraycopy(copy, (int) (first * rowLength), out, 0, count * rowLength));
    }

    /** A tensor given already encoded; {@code bytes} must be exactly its size and stay valid until written. */
    public GgufWriter addTensor(String name, TensorType type, long[] shape, MemorySegment bytes) {
        long[] s = shape.clone();
        long size = checkShape(name, type, s);
        if (bytes.byteSize() != size) {
            throw new IllegalArgumentException("tensor '" + name + "': " + type + " " + Arrays.toString(s) + " takes " + size + " bytes, given " + bytes.byteSize());
        }
        return addEntry(name, type, s, bytes);
    }

    /** A tensor whose encoded bytes {@code source} writes in order when the file is written. */
    public GgufWriter addTensor(String name, TensorType type, long[] shape, ByteSource source) {
        return addEntry(name, type, shape, source);
    }

    // ---- layout ---------------------------------------------------------------------------

    /** The tensors as they will appear in the header, with their offsets in the data section. */
    public List<GgufTensorInfo> tensorInfos() {
        List<GgufTensorInfo> out = new ArrayList<>(tensors.size());
        long offset = 0;
        for (Entry e : tensors.values()) {
            out.add(new GgufTensorInfo(e.name(), e.shape().clone(), e.type(), offset, e.byteSize()));
            offset += GgufFile.alignUp(e.byteSize(), alignment);
        }
        return Collections.unmodifiableList(out);
    }

    /** Bytes of header (magic to the end of the tensor infos), before the padding. */
    public long headerSize() { return header().length; }

    /** Where the data section starts. */
    public long dataOffset() { return GgufFile.alignUp(headerSize(), alignment); }

    /** The size of the file {@link #write} produces. */
    public long fileSize() {
        long size = dataOffset();
        for (Entry e : tensors.values()) size += GgufFile.alignUp(e.byteSize(), alignment);
        return size;
    }

    // ---- writing --------------------------------------------------------------------------

    /** Writes the file on the calling thread. */
    public void write(Path out) throws IOException {
        write(out, 1);
    }

    /**
     * Writes the file, producing and encoding tensor data on up to {@code threads} threads (1: the
     * calling thread only). Replaces {@code out} when complete.
     */
    public void write(Path out, int threads) throws IOException {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        byte[] head = header();
        long dataStart = GgufFile.alignUp(head.length, alignment);
        Path dir = out.toAbsolutePath().getParent();
        // Not Files.createTempFile: its owner-only permissions would stick to the model file.
        Path tmp = dir.resolve("." + out.getFileName() + "." + ProcessHandle.current().pid() + "." + System.nanoTime() + ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW)) {
                writeFully(ch, ByteBuffer.wrap(head), 0);
                writeZeros(ch, head.length, dataStart - head.length);
                List<Task> tasks = new ArrayList<>();
                long offset = dataStart;
                for (Entry e : tensors.values()) {
                    addTasks(tasks, ch, e, offset);
                    offset += GgufFile.alignUp(e.byteSize(), alignment);
                }
                run(tasks, threads);
                if (ch.size() != offset) throw new IOException(tmp + ": wrote " + ch.size() + " bytes, expected " + offset);
            }
            try {
                Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING);
            }
            done = true;
        } finally {
            if (!done) Files.deleteIfExists(tmp);
        }
    }

    /** One independent piece of the data section: a chunk of rows, or a whole byte-sourced tensor. */
    @FunctionalInterface
    private interface Task {
        void run(Scratch scratch) throws IOException;
    }

    /** Per-thread buffers, so that writing allocates nothing in proportion to the model. */
    private static final class Scratch {
        float[] floats = new float[0];
        ByteBuffer bytes = ByteBuffer.allocateDirect(0);

        float[] floats(int n) {
            if (floats.length < n) floats = new float[n];
            return floats;
        }

        ByteBuffer bytes(int n) {
            if (bytes.capacity() < n) bytes = ByteBuffer.allocateDirect(n).order(ByteOrder.LITTLE_ENDIAN);
            return bytes.clear().limit(n);
        }
    }

    private void addTasks(List<Task> tasks, FileChannel ch, Entry e, long start) {
        long pad = GgufFile.alignUp(e.byteSize(), alignment) - e.byteSize();
        switch (e.source()) {
            case FloatRows rows -> {
                int rowLength = (int) e.shape()[0];
                long rowBytes = e.type().bytesFor(rowLength);
                long totalRows = e.rows();
                int chunkRows = (int) Math.max(1, Math.min(totalRows, CHUNK_ELEMENTS / rowLength));
                for (long first = 0; first < totalRows; first += chunkRows) {
                    long f = first;
                    int count = (int) Math.min(chunkRows, totalRows - first);
                    boolean last = first + count == totalRows;
                    tasks.add(scratch -> {
                        int n = count * rowLength;
                        float[] values = scratch.floats(n);
                        rows.fill(f, count, values);
                        int bytes = Math.toIntExact(rowBytes * count);
                        ByteBuffer buf = scratch.bytes(bytes);
                        Quantize.encode(e.type(), values, 0, n, MemorySegment.ofBuffer(buf), 0);
                        writeFully(ch, buf, start + f * rowBytes);
                        if (last) writeZeros(ch, start + e.byteSize(), pad);
                    });
                }
            }
            case MemorySegment seg -> tasks.add(scratch -> {
                long chunk = 1 << 24;
                for (long at = 0; at < seg.byteSize(); at += chunk) {
                    writeFully(ch, seg.asSlice(at, Math.min(chunk, seg.byteSize() - at)).asByteBuffer(), start + at);
                }
                writeZeros(ch, start + e.byteSize(), pad);
            });
            case ByteSource source -> tasks.add(scratch -> {
                RegionChannel region = new RegionChannel(ch, start, e.byteSize());
                source.writeTo(region);
                if (region.written != e.byteSize()) {
                    throw new IOException("tensor '" + e.name() + "': source wrote " + region.written + " bytes, expected " + e.byteSize());
                }
                writeZeros(ch, start + e.byteSize(), pad);
            });
            default -> throw new AssertionError(e.source());
        }
    }

    private static void run(List<Task> tasks, int threads) throws IOException {
        if (threads == 1 || tasks.size() <= 1) {
            Scratch scratch = new Scratch();
            for (Task t : tasks) t.run(scratch);
            return;
        }
        int n = Math.min(threads, tasks.size());
        AtomicInteger next = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(n, r -> {
            Thread t = new Thread(r, "gguf-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            // Workers pull tasks in file order, so the file grows roughly front to back.
            List<Future<?>> futures = new ArrayList<>();
            for (int w = 0; w < n; w++) {
                futures.add(pool.submit(() -> {
                    Scratch scratch = new Scratch();
                    for (int i; (i = next.getAndIncrement()) < tasks.size(); ) tasks.get(i).run(scratch);
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    next.set(tasks.size()); // stop the other workers
                    switch (e.getCause()) {
                        case IOException io -> throw io;
                        case RuntimeException re -> throw re;
                        case Error err -> throw err;
                        default -> throw new IOException(e.getCause());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while writing", e);
        } finally {
            // On failure, let the other workers notice and stop before the caller closes the
            // channel and deletes the file under them.
            pool.shutdownNow();
            try {
                pool.awaitTermination(1, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The window of the file where one tensor goes; refuses to write past it. */
    private static final class RegionChannel implements WritableByteChannel {
        private final FileChannel ch;
        private final long start;
        private final long size;
        long written;
        private boolean open = true;

        RegionChannel(FileChannel ch, long start, long size) {
            this.ch = ch;
            this.start = start;
            this.size = size;
        }

        @Override
        public int write(ByteBuffer src) throws IOException {
            if (!open) throw new ClosedChannelException();
            int n = src.remaining();
            if (written + n > size) throw new IOException("tensor source wrote more than the tensor's " + size + " bytes");
            writeFully(ch, src, start + written);
            written += n;
            return n;
        }

        @Override public boolean isOpen() { return open; }
        @Override public void close() { open = false; }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) position += ch.write(buf, position);
    }

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(4096);

    private static void writeZeros(FileChannel ch, long position, long count) throws IOException {
        while (count > 0) {
            ByteBuffer z = ZEROS.duplicate().limit((int) Math.min(count, ZEROS.capacity()));
            int n = z.remaining();
            writeFully(ch, z, position);
            position += n;
            count -= n;
        }
    }

    /**
     * The whole file in memory, for one without tensors (metadata only, such as a tokenizer staged
     * for {@link GgufFile#of}): the header, padded to the alignment as {@link #write} pads it.
     */
    public byte[] toBytes() {
        if (!tensors.isEmpty()) throw new IllegalStateException("toBytes is for metadata-only files; this one has " + tensors.size() + " tensors");
        byte[] head = header();
        return java.util.Arrays.copyOf(head, (int) GgufFile.alignUp(head.length, alignment));
    }

    // ---- header ---------------------------------------------------------------------------

    private byte[] header() {
        if (header != null) return header;
        Buf b = new Buf();
        b.i32(GgufFile.MAGIC);
        b.i32(3);
        b.i64(tensors.size());
        b.i64(metadata.size());
        for (Kv kv : metadata.values()) {
            b.string(kv.key());
            b.i32(kv.type().id());
            if (kv.type() == GgufValueType.ARRAY) {
                b.i32(kv.elementType().id());
                switch (kv.value()) {
                    case String[] s -> { b.i64(s.length); for (String v : s) b.string(v); }
                    case boolean[] z -> { b.i64(z.length); for (boolean v : z) b.scalar(GgufValueType.BOOL, v); }
                    case double[] d -> { b.i64(d.length); for (double v : d) b.scalar(kv.elementType(), v); }
                    case long[] l -> { b.i64(l.length); for (long v : l) b.scalar(kv.elementType(), v); }
                    default -> throw new AssertionError(kv);
                }
            } else {
                b.scalar(kv.type(), kv.value());
            }
        }
        for (GgufTensorInfo t : tensorInfos()) {
            b.string(t.name());
            b.i32(t.shape().length);
            for (long d : t.shape()) b.i64(d);
            b.i32(t.type().ggmlId());
            b.i64(t.offset());
        }
        header = b.toArray();
        return header;
    }

    /** A growable little-endian buffer for the header. */
    private static final class Buf {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void ensure(long n) {
            if (buf.remaining() >= n) return;
            long want = Math.max((long) buf.capacity() * 2, buf.position() + n);
            if (want > Integer.MAX_VALUE - 8) throw new IllegalStateException("GGUF header over 2 GiB");
            ByteBuffer bigger = ByteBuffer.allocate((int) want).order(ByteOrder.LITTLE_ENDIAN);
            bigger.put(buf.flip());
            buf = bigger;
        }

        void i32(int v) { ensure(4); buf.putInt(v); }
        void i64(long v) { ensure(8); buf.putLong(v); }

        void string(String s) {
            byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
            ensure(8L + bytes.length);
            buf.putLong(bytes.length);
            buf.put(bytes);
        }

        void scalar(GgufValueType type, Object v) {
            ensure(8);
            switch (type) {
                case UINT8, INT8 -> buf.put((byte) (long) (Long) v);
                case UINT16, INT16 -> buf.putShort((short) (long) (Long) v);
                case UINT32, INT32 -> buf.putInt((int) (long) (Long) v);
                case UINT64, INT64 -> buf.putLong((Long) v);
                case FLOAT32 -> buf.putFloat((float) (double) (Double) v);
                case FLOAT64 -> buf.putDouble((Double) v);
                case BOOL -> buf.put((byte) ((Boolean) v ? 1 : 0));
                case STRING -> string((String) v);
                case ARRAY -> throw new AssertionError();
            }
        }

        byte[] toArray() { return Arrays.copyOf(buf.array(), buf.position()); }
    }

    // ---- checks ---------------------------------------------------------------------------

    private GgufWriter put(String key, GgufValueType type, Object value) {
        if ("general.alignment".equals(key)) {
            // llama.cpp insists on UINT32 here and on a power of two.
            long a = value instanceof Long l ? l : -1;
            if (type != GgufValueType.UINT32 || a <= 0 || a > (1 << 20) || (a & (a - 1)) != 0) {
                throw new IllegalArgumentException("general.alignment must be a UINT32 power of two up to 1 MiB, got " + type + " " + value);
            }
        }
        return add(new Kv(key, type, null, value));
    }

    private GgufWriter add(Kv kv) {
        if (kv.key() == null || kv.key().isEmpty()) throw new IllegalArgumentException("metadata key must not be empty");
        if (metadata.containsKey(kv.key())) throw new IllegalArgumentException("metadata key '" + kv.key() + "' set twice");
        if ("general.alignment".equals(kv.key())) {
            if (kv.type() != GgufValueType.UINT32) throw new IllegalArgumentException("general.alignment must be a UINT32");
            alignment = (int) (long) (Long) kv.value();
        }
        metadata.put(kv.key(), kv);
        header = null;
        return this;
    }

    private GgufWriter addEntry(String name, TensorType type, long[] shape, Object source) {
        long[] s = shape.clone();
        long size = checkShape(name, type, s);
        if (tensors.containsKey(name)) throw new IllegalArgumentException("tensor '" + name + "' added twice");
        if (s[0] > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("tensor '" + name + "': rows of " + s[0] + " elements are too long");
        tensors.put(name, new Entry(name, type, s, size, source));
        header = null;
        return this;
    }

    private static long checkShape(String name, TensorType type, long[] shape) {
        if (name == null || name.isEmpty()) throw new IllegalArgumentException("tensor name must not be empty");
        if (name.getBytes(StandardCharsets.UTF_8).length > MAX_TENSOR_NAME_BYTES) {
            throw new IllegalArgumentException("tensor name '" + name + "' is longer than llama.cpp's limit of " + MAX_TENSOR_NAME_BYTES + " bytes");
        }
        long elements = elements(name, shape);
        if (shape[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': row length " + shape[0] + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        return type.bytesFor(elements);
    }

    private static long elements(String name, long[] shape) {
        if (shape.length < 1 || shape.length > MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + shape.length + " dimensions (1 to " + MAX_DIMS + " allowed)");
        }
        long n = 1;
        for (long d : shape) {
            if (d <= 0) throw new IllegalArgumentException("tensor '" + name + "' has dimension " + d + " in " + Arrays.toString(shape));
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    private static long checkRange(String key, long v, long min, long max) {
        if (v < min || v > max) throw new IllegalArgumentException("metadata '" + key + "' = " + v + " is outside [" + min + ", " + max + "]");
        return v;
    }

    private static void checkIntegerElement(String key, GgufValueType type, long v) {
        switch (type) {
            case UINT8 -> checkRange(key, v, 0, 0xFF);
            case INT8 -> checkRange(key, v, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> checkRange(key, v, 0, 0xFFFF);
            case INT16 -> checkRange(key, v, Short.MIN_VALUE, Short.MAX_VALUE);
            case UINT32 -> checkRange(key, v, 0, 0xFFFFFFFFL);
            case INT32 -> checkRange(key, v, Integer.MIN_VALUE, Integer.MAX_VALUE);
            case UINT64, INT64 -> { }
            default -> throw new AssertionError(type);
        }
    }

    private static long integral(String key, Object v) {
        if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) return ((Number) v).longValue();
        throw new IllegalArgumentException("metadata '" + key + "': expected an integer, got " + GgufFile.describe(v));
    }

    private static Number number(String key, Object v) {
        if (v instanceof Number n) return n;
        throw new IllegalArgumentException("metadata '" + key + "': expected a number, got " + GgufFile.describe(v));
    }

    private static IllegalArgumentException arrayError(String key, GgufValueType type, Object values) {
        return new IllegalArgumentException("metadata '" + key + "': an array of " + type + " cannot be given as " + GgufFile.describe(values));
    }
}
