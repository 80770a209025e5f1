package dev.ember.engine.util;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large off-heap buffers whose pages the operating system hands out zeroed on first touch.
 * {@link Arena#allocate} writes every byte up front: for a KV cache sized to a quarter of the heap
 * that took seconds at engine open and made gigabytes resident before the first request.
 *
 * <p>On Linux a buffer is its own anonymous mapping, and its whole 2 MiB pages are advised as
 * transparent huge pages ({@code madvise(MADV_HUGEPAGE)}; most distributions enable them only
 * where asked). Each first touch of a 4 KiB page is a fault, and in a VM a costly one: scoring
 * fills fresh KV-cache blocks as it goes, and with 4 KiB pages the kernel's page clearing and fault
 * handling took about 4 % of an `ember score` run (perf, Zen 5 VM); a huge page costs one fault
 * per 2 MiB. The mapping starts on a huge-page boundary, and the tail past the last whole huge
 * page keeps small pages, so nothing becomes resident that the buffer does not use. Elsewhere C's
 * {@code calloc} (fresh pages for large sizes). Falls back to the arena when native calls are not
 * permitted (no {@code --enable-native-access}) or fail.
 */
public final class NativeMemory {
    /** Below this, the arena's allocation is as cheap and keeps the memory in one place. */
    private static final long MIN_BYTES = 1L << 20;
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x3, MAP_PRIVATE_ANONYMOUS = 0x22, MADV_HUGEPAGE = 14;
    private static final MethodHandle CALLOC, FREE;
    /** Linux's mmap, munmap and madvise (the flag values above are Linux's), or null elsewhere. */
    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle calloc = null, free = null, mmap = null, munmap = null, madvise = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            calloc = linker.downcallHandle(libc.find("calloc").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            free = linker.downcallHandle(libc.find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
            if (System.getProperty("os.name", "").startsWith("Linux")) {
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            }
        } catch (Throwable unavailable) {
            calloc = free = mmap = munmap = madvise = null;
        }
        CALLOC = calloc;
        FREE = free;
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    private NativeMemory() {}

    /** {@code bytes} of zeroed memory that lives as long as {@code arena}, at least 16-byte aligned. */
    public static MemorySegment allocateZeroed(long bytes, Arena arena) {
        if (bytes >= MIN_BYTES) {
            // Below one huge page a mapping of its own would hold no huge page (only more kernel mappings).
            MemorySegment m = MMAP != null && bytes >= HUGE_PAGE ? mapped(bytes, arena) : null;
            if (m != null) return m;
            if (CALLOC != null) {
                try {
                    MemorySegment p = (MemorySegment) CALLOC.invokeExact(1L, bytes);
                    if (p.address() != 0) return p.reinterpret(bytes, arena, NativeMemory::free);
                } catch (Throwable notPermitted) {
                    // fall through to the arena
                }
            }
        }
        return arena.allocate(bytes, 64);
    }

    /** An anonymous mapping of {@code bytes} from a huge-page boundary, its whole huge pages advised; null if refused. */
    private static MemorySegment mapped(long bytes, Arena arena) {
        try {
            long length = bytes + HUGE_PAGE; // room to start on a boundary
            MemorySegment base = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
            if (base.address() == -1L || base.address() == 0) return null; // MAP_FAILED
            long start = (base.address() + HUGE_PAGE - 1) & -HUGE_PAGE;
            long whole = bytes & -HUGE_PAGE;
            if (whole > 0) {
                int ignored = (int) MADVISE.invokeExact(MemorySegment.ofAddress(start), whole, MADV_HUGEPAGE); // refused: small pages
            }
            long baseAddress = base.address();
            return MemorySegment.ofAddress(start).reinterpret(bytes, arena, unused -> unmap(baseAddress, length));
        } catch (Throwable notPermitted) {
            return null;
        }
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            throw new IllegalStateException("munmap failed", t);
        }
    }

    private static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }
}
