package dev.ember.engine.kv;

import dev.ember.engine.api.KvCacheType;
import dev.ember.engine.kernels.CacheKernels;

import dev.ember.engine.util.NativeMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A pool of fixed-size KV blocks, off the heap. A block holds {@code blockSize} consecutive token
 * positions of one sequence, for every layer: per layer, a key row of {@code keyWidth} values and
 * a value row of {@code valueWidth} values per token, stored in the pool's {@link KvCacheType}.
 * Storage is one key and one value segment per layer; attention reads rows back as floats
 * through {@link #readKeys}/{@link #readValues}.
 *
 * <p>Each segment is split into head panels: a layer's rows split into panels of one KV head's
 * width ({@code keyHeadWidth}, {@code valueHeadWidth}), and panel p of every block lies before
 * panel p + 1 of any block, block after block. So one head's keys (or values) for a run of
 * consecutive blocks, which is how a sequence's blocks are handed out, are one contiguous run of
 * memory that the hardware prefetcher follows; attention reads exactly that, a head at a time.
 * Widening F16 halves in 4 KiB runs 32 KiB apart (a head's keys, block after block, with the
 * block holding every head) streamed 8.3 GB/s on one Zen 5 core, against 24-26 GB/s for the same
 * runs back to back. Inside a block's panel, keys are stored dimension-major
 * ({@link #writeKeyColumns}) and values row by row. With one panel per row (Q8_0 keys, latent
 * rows, or a pool built without head widths) this is plain row-major storage by global slot
 * {@code block * blockSize + offsetInBlock}.
 *
 * <p>Blocks are reference-counted by the sequences using them. A block whose count drops to zero
 * is free; if the prefix cache holds its contents ({@link #markCached}) it waits in a
 * least-recently-released queue and is only reused when no uncached free block is left, at which
 * point the cache is told ({@code onEvict}) to forget it. Allocation, release, reuse and eviction
 * are O(1), as in vLLM's block pool. Not thread-safe: the scheduler owns it.
 */
public final class KvBlockPool implements AutoCloseable {
    private final int blockSize;
    private final int numBlocks;
    private final int[] keyWidth;
    private final int[] valueWidth;
    private final KvCacheType type;
    private final long[] keyRowBytes;
    private final long[] valueRowBytes;
    /** Per layer: values per panel (a head's), and its bytes per slot; panels = valueWidth / valuePanel. */
    private final int[] valuePanel;
    private final long[] valuePanelBytes;
    /** The same for keys: a KV head's key width where keys are stored dimension-major, else the whole row. */
    private final int[] keyPanel;
    private final long[] keyPanelBytes;
    private final MemorySegment[] keys;
    private final MemorySegment[] values;
    private final Arena arena;
    private final CacheKernels codec = CacheKernels.get();
    private final int[] refCount;
    private final boolean[] cached;
    // Uncached free blocks: a stack.
    private final int[] freeStack;
    private int freeCount;
    // Cached free blocks: a doubly linked list, least recently released at the head.
    private final int[] prev;
    private final int[] next;
    private int lruHead = -1, lruTail = -1, lruCount;
    private IntConsumer onEvict = b -> {};

    /** An F32 pool whose memory is freed when it becomes unreachable (tools and tests). */
    public KvBlockPool(int blockSize, int numBlocks, int[] keyWidth, int[] valueWidth) {
        this(blockSize, numBlocks, keyWidth, valueWidth, KvCacheType.F32, Arena.ofAuto());
    }

    /** A pool of value rows stored whole (one panel per row) in {@code arena}. */
    public KvBlockPool(int blockSize, int numBlocks, int[] keyWidth, int[] valueWidth, KvCacheType type, Arena arena) {
        this(blockSize, numBlocks, keyWidth, valueWidth, valueWidth, type, arena);
    }

    /** A pool for the paged layers of {@code specs} (value panels of a KV head each) in {@code arena}. */
    public static KvBlockPool forLayers(int blockSize, int numBlocks, List<LayerCacheSpec> specs, KvCacheType type, Arena arena) {
        return new KvBlockPool(blockSize, numBlocks, CacheManager.keyWidths(specs), CacheManager.valueWidths(specs),
                specs.stream().mapToInt(LayerCacheSpec::keyHeadWidth).toArray(),
                specs.stream().mapToInt(LayerCacheSpec::valueHeadWidth).toArray(), type, arena);
    }

    /** A pool whose key rows are stored whole (one panel per row). */
    public KvBlockPool(int blockSize, int numBlocks, int[] keyWidth, int[] valueWidth, int[] valueHeadWidth, KvCacheType type, Arena arena) {
        this(blockSize, numBlocks, keyWidth, valueWidth, keyWidth, valueHeadWidth, type, arena);
    }

    /**
     * A pool in {@code arena}; closing the pool closes a shared or confined arena. Value rows are
     * stored in panels of {@code valueHeadWidth} values where that width divides the row and the
     * cache type stores it in whole blocks, else whole; key rows in panels of {@code keyHeadWidth}
     * likewise, where keys are stored dimension-major ({@link #columnKeys}).
     */
    public KvBlockPool(int blockSize, int numBlocks, int[] keyWidth, int[] valueWidth, int[] keyHeadWidth, int[] valueHeadWidth,
                       KvCacheType type, Arena arena) {
        if (blockSize < 1 || numBlocks < 1) throw new IllegalArgumentException("block size and count must be positive");
        this.blockSize = blockSize;
        this.numBlocks = numBlocks;
        this.keyWidth = keyWidth.clone();
        this.valueWidth = valueWidth.clone();
        this.type = type;
        this.arena = arena;
        int layers = keyWidth.length;
        this.keyRowBytes = new long[layers];
        this.valueRowBytes = new long[layers];
        this.valuePanel = new int[layers];
        this.valuePanelBytes = new long[layers];
        this.keyPanel = new int[layers];
        this.keyPanelBytes = new long[layers];
        this.keys = new MemorySegment[layers];
        this.values = new MemorySegment[layers];
        long slots = (long) blockSize * numBlocks;
        for (int l = 0; l < layers; l++) {
            keyRowBytes[l] = type.rowBytes(keyWidth[l]);
            valueRowBytes[l] = type.rowBytes(valueWidth[l]);
            valuePanel[l] = panelWidth(valueWidth[l], valueHeadWidth[l], type);
            valuePanelBytes[l] = type.rowBytes(valuePanel[l]);
            keyPanel[l] = columnKeys() ? panelWidth(keyWidth[l], keyHeadWidth[l], type) : keyWidth[l];
            keyPanelBytes[l] = type.rowBytes(keyPanel[l]);
            keys[l] = keyRowBytes[l] == 0 ? MemorySegment.NULL : NativeMemory.allocateZeroed(slots * keyRowBytes[l], arena);
            values[l] = valueRowBytes[l] == 0 ? MemorySegment.NULL : NativeMemory.allocateZeroed(slots * valueRowBytes[l], arena);
        }
        this.refCount = new int[numBlocks];
        this.cached = new boolean[numBlocks];
        this.freeStack = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) freeStack[i] = numBlocks - 1 - i;
        this.freeCount = numBlocks;
        this.prev = new int[numBlocks];
        this.next = new int[numBlocks];
    }

    /** {@code head} where it divides {@code width} and the type stores a head in whole blocks, else {@code width}. */
    private static int panelWidth(int width, int head, KvCacheType type) {
        boolean splits = head > 0 && width % head == 0 && type.rowBytes(head) * (width / head) == type.rowBytes(width);
        return splits ? head : width;
    }

    /** Bytes one token position takes across all layers in F32 (what the heap cache took). */
    public static long bytesPerToken(int[] keyWidth, int[] valueWidth) {
        return bytesPerToken(keyWidth, valueWidth, KvCacheType.F32);
    }

    /** Bytes one token position takes across all layers in {@code type}. */
    public static long bytesPerToken(int[] keyWidth, int[] valueWidth, KvCacheType type) {
        long b = 0;
        for (int l = 0; l < keyWidth.length; l++) b += type.rowBytes(keyWidth[l]) + type.rowBytes(valueWidth[l]);
        return b;
    }

    public int blockSize() { return blockSize; }
    public int numBlocks() { return numBlocks; }
    /** Blocks allocation can take now: uncached free blocks plus cached ones nobody uses (evicted on reuse). */
    public int freeBlocks() { return freeCount + lruCount; }
    /** Free blocks whose contents the prefix cache still holds. */
    public int cachedFreeBlocks() { return lruCount; }
    public int layers() { return keys.length; }
    public int keyWidth(int layer) { return keyWidth[layer]; }
    public int valueWidth(int layer) { return valueWidth[layer]; }
    public KvCacheType type() { return type; }

    /** Called with each cached block that allocation is about to reuse (the prefix cache forgets it). */
    void setEvictionListener(IntConsumer listener) { this.onEvict = listener; }

    // ---- rows ------------------------------------------------------------------------------

    /** Stores {@code src[off .. off + keyWidth)} as the key row of {@code slot}. */
    public void writeKey(int layer, int slot, float[] src, int off) {
        encodePanels(keys[layer], keyWidth[layer], keyPanel[layer], keyPanelBytes[layer], slot, src, off);
    }

    /**
     * Whether keys can be stored dimension-major ({@link #writeKeyColumns}): element-wise cache
     * types only; Q8_0 quantizes along a row.
     */
    public boolean columnKeys() { return type != KvCacheType.Q8_0; }

    /**
     * Stores a key row dimension-major inside its block: element i of the row of in-block slot j,
     * which is element d of head panel p, becomes element {@code d*blockSize + j} of the block's
     * panel p, so attention reads a vector of keys per dimension with no horizontal sums (see
     * {@code Kernels.scoresBlock}). A layer's keys use one layout throughout.
     */
    public void writeKeyColumns(int layer, int slot, float[] src, int off) {
        int j = slot % blockSize, width = keyWidth[layer], panel = keyPanel[layer];
        long eb = type.rowBytes(1);
        // Encode the row once into heap scratch, then scatter its elements to their columns.
        byte[] row = ROW.get();
        if (row.length < eb * width) row = newRow(eb * width);
        MemorySegment encoded = MemorySegment.ofArray(row);
        codec.encodeRow(type, src, off, width, encoded, 0);
        MemorySegment seg = keys[layer];
        for (int i = 0; i < width; ) {
            long column = panelAt(slot - j, i / panel, keyPanelBytes[layer]) + eb * j; // this panel's column of slot j
            for (int d = 0; d < panel; d++, i++) {
                long at = column + eb * d * blockSize;
                if (eb == 2) seg.set(ValueLayout.JAVA_SHORT_UNALIGNED, at, encoded.get(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * i));
                else MemorySegment.copy(row, (int) (eb * i), seg, ValueLayout.JAVA_BYTE, at, (int) eb);
            }
        }
    }

    private static final ThreadLocal<byte[]> ROW = ThreadLocal.withInitial(() -> new byte[0]);

    private static byte[] newRow(long bytes) {
        byte[] b = new byte[Math.toIntExact(bytes)];
        ROW.set(b);
        return b;
    }

    /**
     * Decodes columns {@code [from, from + width)} of a whole block's keys (the block starting at
     * {@code slot}) into {@code dst} dimension-major: element d of in-block slot j at
     * {@code dst[d*blockSize + j]}. Keys stored by {@link #writeKeyColumns} decode in one pass;
     * Q8_0 keys, stored row by row, decode row by row into scratch and are transposed, so
     * attention reads every cache type through the same tiles.
     */
    public void readKeyColumns(int layer, int slot, int from, int width, float[] dst) {
        readKeyColumns(layer, slot, from, width, dst, 0);
    }

    /** {@link #readKeyColumns(int, int, int, int, float[])} into {@code dst} from {@code dstOff}. */
    public void readKeyColumns(int layer, int slot, int from, int width, float[] dst, int dstOff) {
        if (columnKeys()) { // a column of a block's panel is blockSize elements
            decodePanels(keys[layer], keyPanel[layer], keyPanelBytes[layer], slot, from, width, blockSize, dst, dstOff);
            return;
        }
        float[] rows = KEY_ROWS.get();
        if (rows.length < blockSize * width) KEY_ROWS.set(rows = new float[blockSize * width]);
        readKeys(layer, slot, blockSize, from, width, rows, 0);
        for (int j = 0; j < blockSize; j++) {
            for (int d = 0; d < width; d++) dst[dstOff + d * blockSize + j] = rows[j * width + d];
        }
    }

    private static final ThreadLocal<float[]> KEY_ROWS = ThreadLocal.withInitial(() -> new float[0]);

    public void writeValue(int layer, int slot, float[] src, int off) {
        encodePanels(values[layer], valueWidth[layer], valuePanel[layer], valuePanelBytes[layer], slot, src, off);
    }

    /**
     * The byte offset of panel {@code p} of the row of {@code slot} (row-major panels of
     * {@code panelBytes} per slot); for a block's first slot, where its dimension-major key panel
     * starts. Panel p of every block, block after block, then panel p + 1: see the class comment.
     */
    private long panelAt(int slot, int p, long panelBytes) {
        int j = slot % blockSize, block = slot / blockSize;
        return panelBytes * (((long) p * numBlocks + block) * blockSize + j);
    }

    /** A row of {@code width} values into its panels of {@code seg}, row-major in each. */
    private void encodePanels(MemorySegment seg, int width, int panel, long panelBytes, int slot, float[] src, int off) {
        for (int p = 0; p < width; p += panel) codec.encodeRow(type, src, off + p, panel, seg, panelAt(slot, p / panel, panelBytes));
    }

    /**
     * Columns {@code [from, from + width)} of {@code slot}'s row in {@code seg}, piece by piece
     * of each panel they cross, into {@code dst} from {@code dstOff}; a column is {@code span}
     * consecutive elements of its panel (1 for a row-major panel, the block size for the
     * dimension-major keys of a block).
     */
    private void decodePanels(MemorySegment seg, int panel, long panelBytes, int slot, int from, int width, int span, float[] dst, int dstOff) {
        for (int c = from; c < from + width; ) {
            int p = c / panel, in = c - p * panel, n = Math.min(panel - in, from + width - c);
            codec.decode(type, seg, panelAt(slot, p, panelBytes), in * span, n * span, dst, dstOff + (c - from) * span);
            c += n;
        }
    }

    /** The first {@code slots} slots of every panel of block {@code from} of {@code seg} into block {@code to}. */
    private void copyPanels(MemorySegment seg, int width, int panel, long panelBytes, int from, int to, int slots) {
        for (int p = 0; p < width / panel; p++) {
            MemorySegment.copy(seg, panelAt(from * blockSize, p, panelBytes), seg, panelAt(to * blockSize, p, panelBytes), slots * panelBytes);
        }
    }

    /**
     * Decodes columns {@code [from, from + width)} of the key rows of {@code count} consecutive
     * slots from {@code slot} into {@code dst}, {@code width} floats per row.
     */
    public void readKeys(int layer, int slot, int count, int from, int width, float[] dst, int dstOff) {
        for (int i = 0; i < count; i++) {
            decodePanels(keys[layer], keyPanel[layer], keyPanelBytes[layer], slot + i, from, width, 1, dst, dstOff + i * width);
        }
    }

    /**
     * Decodes columns {@code [from, from + width)} of the value rows of {@code count} consecutive
     * slots of one block from {@code slot} into {@code dst}, {@code width} floats per row. One
     * head's panel ({@code width} = the head width, {@code from} on a head) is one contiguous run.
     */
    public void readValues(int layer, int slot, int count, int from, int width, float[] dst, int dstOff) {
        int panel = valuePanel[layer];
        if (count > 1 && (slot % blockSize) + count > blockSize) throw new IllegalArgumentException("slots " + slot + " + " + count + " cross a block");
        if (width == panel && from % panel == 0) {
            codec.decode(type, values[layer], panelAt(slot, from / panel, valuePanelBytes[layer]), 0, count * panel, dst, dstOff);
            return;
        }
        for (int i = 0; i < count; i++) {
            decodePanels(values[layer], panel, valuePanelBytes[layer], slot + i, from, width, 1, dst, dstOff + i * width);
        }
    }

    /**
     * Copies the first {@code tokens} slots of block {@code from} into block {@code to}, every
     * layer. Keys are copied a whole block at a time: stored dimension-major, a prefix of slots is
     * not contiguous (the extra slots are unused until written). Values are copied panel by panel.
     */
    public void copySlots(int from, int to, int tokens) {
        for (int l = 0; l < keys.length; l++) {
            if (keyRowBytes[l] > 0) copyPanels(keys[l], keyWidth[l], keyPanel[l], keyPanelBytes[l], from, to, blockSize);
            if (valueRowBytes[l] > 0) copyPanels(values[l], valueWidth[l], valuePanel[l], valuePanelBytes[l], from, to, tokens);
        }
    }

    // ---- allocation ------------------------------------------------------------------------

    /**
     * Takes a free block with reference count 1: an uncached one if any, else the cached one
     * released longest ago (the prefix cache forgets it first). Returns -1 when none is free.
     */
    public int allocate() {
        int b;
        if (freeCount > 0) {
            b = freeStack[--freeCount];
        } else if (lruCount > 0) {
            b = lruHead;
            unlink(b);
            cached[b] = false;
            onEvict.accept(b);
        } else {
            return -1;
        }
        refCount[b] = 1;
        return b;
    }

    /** Takes a reference to a used block, or to a cached free one (which leaves the free queue). */
    public void retain(int block) {
        if (refCount[block] == 0) {
            if (!cached[block]) throw new IllegalStateException("retain of free block " + block);
            unlink(block);
        }
        refCount[block]++;
    }

    public void release(int block) {
        if (refCount[block] <= 0) throw new IllegalStateException("release of free block " + block);
        if (--refCount[block] == 0) {
            if (cached[block]) append(block);
            else freeStack[freeCount++] = block;
        }
    }

    public int refCount(int block) { return refCount[block]; }

    /** The prefix cache holds this block's contents: when freed, keep them until the block is needed. */
    void markCached(int block) { cached[block] = true; }

    /** The prefix cache forgot this block: a free one becomes plainly free. */
    void unmarkCached(int block) {
        if (!cached[block]) return;
        cached[block] = false;
        if (refCount[block] == 0) {
            unlink(block);
            freeStack[freeCount++] = block;
        }
    }

    /** The cached free block released longest ago, or -1. */
    int oldestCachedFree() { return lruHead; }

    private void append(int b) {
        prev[b] = lruTail;
        next[b] = -1;
        if (lruTail >= 0) next[lruTail] = b; else lruHead = b;
        lruTail = b;
        lruCount++;
    }

    private void unlink(int b) {
        if (prev[b] >= 0) next[prev[b]] = next[b]; else lruHead = next[b];
        if (next[b] >= 0) prev[next[b]] = prev[b]; else lruTail = prev[b];
        lruCount--;
    }

    /** Frees the off-heap memory (a pool in an automatic arena is freed by the GC instead). */
    @Override
    public void close() {
        try {
            arena.close();
        } catch (UnsupportedOperationException automatic) {
            // Arena.ofAuto() cannot be closed explicitly.
        }
    }

    @Override
    public String toString() {
        return "KvBlockPool[" + numBlocks + " x " + blockSize + " tokens, " + type + ", free " + freeBlocks() + ", widths " + Arrays.toString(keyWidth) + "]";
    }
}
