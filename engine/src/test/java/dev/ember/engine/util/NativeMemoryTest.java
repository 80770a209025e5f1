package dev.ember.engine.util;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class NativeMemoryTest {
    private static final long BYTES = 24L << 20;

    @Test
    void largeBuffersAreZeroedAndWritableToTheEnd() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = NativeMemory.allocateZeroed(BYTES, arena);
            assertEquals(BYTES, m.byteSize());
            for (long o = 0; o < BYTES; o += 4096) assertEquals(0L, m.get(ValueLayout.JAVA_LONG_UNALIGNED, o));
            assertEquals(0L, m.get(ValueLayout.JAVA_LONG_UNALIGNED, BYTES - 8));
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, BYTES - 8, 42L);
            assertEquals(42L, m.get(ValueLayout.JAVA_LONG_UNALIGNED, BYTES - 8));
        }
    }

    /** Where the kernel offers huge pages on request, a large buffer's touched inside is backed by them. */
    @Test
    void largeBuffersGetHugePagesWhereTheKernelOffersThem() throws IOException {
        Path mode = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        Assumptions.assumeTrue(Files.isReadable(mode) && !Files.readString(mode).contains("[never]"), "no transparent huge pages here");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment m = NativeMemory.allocateZeroed(BYTES, arena);
            for (long o = 0; o < BYTES; o += 4096) m.set(ValueLayout.JAVA_BYTE, o, (byte) 1);
            long kb = anonHugePagesKb(m.address());
            assertTrue(kb >= 2048, "no huge page backs the buffer (AnonHugePages " + kb + " kB)");
        }
    }

    /** AnonHugePages of the /proc/self/smaps mapping that holds {@code address}. */
    private static long anonHugePagesKb(long address) throws IOException {
        List<String> lines = Files.readAllLines(Path.of("/proc/self/smaps"));
        boolean inside = false;
        for (String line : lines) {
            if (line.matches("^[0-9a-f]+-[0-9a-f]+ .*")) {
                String[] range = line.substring(0, line.indexOf(' ')).split("-");
                inside = Long.parseUnsignedLong(range[0], 16) <= address && address < Long.parseUnsignedLong(range[1], 16);
            } else if (inside && line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
