package dev.ember.engine.util;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Large off-heap buffers whose pages the operating system hands out zeroed on first touch
 * (C's {@code calloc}, which maps fresh pages for large sizes). {@link Arena#allocate} writes
 * every byte up front: for a KV cache sized to a quarter of the heap that took seconds at engine
 * open and made gigabytes resident before the first request. Falls back to the arena when native
 * calls are not permitted (no {@code --enable-native-access}) or fail.
 */
public final class NativeMemory {
    /** Below this, the arena's allocation is as cheap and keeps the memory in one place. */
    private static final long MIN_BYTES = 1L << 20;
    private static final MethodHandle CALLOC;
    private static final MethodHandle FREE;

    static {
        MethodHandle calloc = null, free = null;
        try {
            Linker linker = Linker.nativeLinker();
            var libc = linker.defaultLookup();
            calloc = linker.downcallHandle(libc.find("calloc").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG));
            free = linker.downcallHandle(libc.find("free").orElseThrow(), FunctionDescriptor.ofVoid(ValueLayout.ADDRESS));
        } catch (Throwable unavailable) {
            calloc = null;
            free = null;
        }
        CALLOC = calloc;
        FREE = free;
    }

    private NativeMemory() {}

    /** {@code bytes} of zeroed memory that lives as long as {@code arena}, at least 16-byte aligned. */
    public static MemorySegment allocateZeroed(long bytes, Arena arena) {
        if (CALLOC != null && bytes >= MIN_BYTES) {
            try {
                MemorySegment p = (MemorySegment) CALLOC.invokeExact(1L, bytes);
                if (p.address() != 0) return p.reinterpret(bytes, arena, NativeMemory::free);
            } catch (Throwable notPermitted) {
                // fall through to the arena
            }
        }
        return arena.allocate(bytes, 64);
    }

    private static void free(MemorySegment p) {
        try {
            FREE.invokeExact(p);
        } catch (Throwable t) {
            throw new IllegalStateException("free failed", t);
        }
    }
}
